package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/respcache"
)

// cacheKey names the answer a public GET will get, and describes it
// (which movie it is about, whether the search index made it); ok is false
// for requests not worth caching. Links in list answers are absolute, so
// their keys hold the base URL.
type cacheKey func(r *http.Request) (key string, about respcache.Entry, ok bool)

func (g *Gateway) listKey(r *http.Request) (string, respcache.Entry, bool) {
	q := r.URL.Query()
	fromIndex := g.search != nil && q.Get(contract.ParamSearch) != ""
	return "l " + baseURL(r).String() + " " + q.Encode(), respcache.Entry{FromIndex: fromIndex}, true
}

func searchKey(r *http.Request) (string, respcache.Entry, bool) {
	return "s " + baseURL(r).String() + " " + r.URL.Query().Encode(), respcache.Entry{FromIndex: true}, true
}

func movieKey(r *http.Request) (string, respcache.Entry, bool) {
	id, err := movieID(r)
	if err != nil {
		return "", respcache.Entry{}, false
	}
	return "m " + strconv.FormatInt(id, 10), respcache.Entry{Movie: id}, true
}

// cached serves a public GET with a strong ETag (a hash of the body) and
// answers a matching If-None-Match with 304, for every 200, cached or not.
// Requests without Authorization are answered from the answer cache when
// it holds them, and their fresh answers are stored, unless degraded.
func (g *Gateway) cached(key cacheKey, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		anonymous := r.Header.Get("Authorization") == ""
		k, about, ok := key(r)
		ok = ok && anonymous
		if !anonymous {
			g.cache.Bypass()
		}
		var gen uint64
		if ok {
			var e *respcache.Entry
			if e, gen = g.cache.Get(k); e != nil {
				g.write(w, r, e.Header, e.Body)
				return
			}
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status != http.StatusOK {
			rec.copyTo(w)
			return
		}
		h := rec.header
		h.Set("ETag", etag(rec.body.Bytes()))
		switch {
		case h.Get(contract.HeaderDegraded) != "":
			// A fallback's answer must not outlive the fault.
			h.Set("Cache-Control", "no-store")
		case anonymous:
			h.Set("Cache-Control", g.publicCacheControl)
			if ok {
				about.Header, about.Body = h, rec.body.Bytes()
				g.cache.Put(k, gen, &about)
			}
		default:
			h.Set("Cache-Control", "private, no-cache")
		}
		g.write(w, r, h, rec.body.Bytes())
	})
}

// write sends a 200 answer, or 304 when the client holds it already. h may
// be a cached entry's: it is copied, never changed.
func (g *Gateway) write(w http.ResponseWriter, r *http.Request, h http.Header, body []byte) {
	out := w.Header()
	out.Add("Vary", "Authorization") // added: CORS may vary on Origin too
	if notModified(r.Header.Get("If-None-Match"), h.Get("ETag")) {
		for _, k := range []string{"ETag", "Cache-Control"} {
			out.Set(k, h.Get(k))
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for k, v := range h {
		out[k] = slices.Clone(v)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// notModified applies If-None-Match's weak comparison (RFC 9110 13.1.2).
func notModified(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" || etag == "" {
		return false
	}
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// recorder holds a handler's answer so its ETag can be computed before
// anything is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func (r *recorder) copyTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), r.header)
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
