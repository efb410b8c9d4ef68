package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/cursorsig"
	"github.com/moviesplatform/gateway/respcache"
)

// answerKey names the answer a public GET will get. Key is built from the
// parsed, canonical request (the query's known parameters, in one
// spelling), never the raw one, so junk parameters neither make new entries
// nor grow a key. The answer is rendered from Query, the canonical query
// string, so what is stored (Link URLs included) is exactly what Key names.
// About describes the answer: which movie it is about, whether the search
// index made it.
type answerKey struct {
	Key   string
	Query string
	About respcache.Entry
}

// cacheKey names the answer to r; ok is false for requests not worth
// caching, such as ones that do not parse (they get a 400, never cached).
// Links in list answers are absolute, so list keys hold the base URL.
type cacheKey func(r *http.Request) (k answerKey, ok bool)

func (g *Gateway) listKey(r *http.Request) (answerKey, bool) {
	q, _, signed, err := g.parseList(r.URL.Query())
	if err != nil {
		return answerKey{}, false
	}
	fromIndex := g.search != nil && q.Search != ""
	q.Cursor = signed // verified: the fill's request parses it again
	query := q.Canonical()
	return answerKey{Key: "l " + g.baseURL(r).String() + " " + query, Query: query, About: respcache.Entry{FromIndex: fromIndex}}, true
}

func (g *Gateway) searchKey(r *http.Request) (answerKey, bool) {
	q, err := g.parseSearch(r.URL.Query())
	if err != nil {
		return answerKey{}, false
	}
	v := q.Values()
	if c := v.Get(contract.ParamCursor); c != "" {
		v.Set(contract.ParamCursor, g.cursors.Sign(cursorsig.ScopeSearch, c))
	}
	query := v.Encode()
	return answerKey{Key: "s " + g.baseURL(r).String() + " " + query, Query: query, About: respcache.Entry{FromIndex: true}}, true
}

func movieKey(r *http.Request) (answerKey, bool) {
	id, err := movieID(r)
	if err != nil {
		return answerKey{}, false
	}
	return answerKey{Key: "m " + strconv.FormatInt(id, 10), About: respcache.Entry{Movie: id}}, true
}

// cached serves a public GET with a strong ETag (a movie's version tag, as
// its handler set it, or else a hash of the body) and answers a matching If-None-Match with 304, for every 200, cached or not.
// Anonymous requests and those of users who are not admins are answered from
// the answer cache when it holds them (a user reads what anyone reads; an
// admin reads past it, to see its own writes); concurrent misses of one key
// make one call upstream, and its answer is stored unless degraded.
func (g *Gateway) cached(key cacheKey, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		anonymous := r.Header.Get("Authorization") == ""
		if !anonymous {
			r = g.withClient(r) // readsAsAnyone asks auth about the token
		}
		ak, ok := key(r)
		k, about := ak.Key, ak.About
		if !ok || g.cache == nil || !anonymous && !g.readsAsAnyone(r) {
			if !anonymous {
				g.cache.Bypass()
			}
			g.send(w, r, g.render(next, r, anonymous), anonymous)
			return
		}
		e, gen := g.cache.Get(k)
		if e != nil {
			g.write(w, r, e.Header, e.Body, anonymous)
			return
		}
		v, _, _ := g.fills.Do(k, func() (any, error) {
			if e := g.cache.Peek(k); e != nil { // filled while this one queued
				return answerOf(e), nil
			}
			// Detached from this caller, who may leave while others wait;
			// the upstream guards and Redis's budget still bound the calls.
			ctx := context.WithoutCancel(r.Context())
			e, sharedGen := g.shared.Get(ctx, k)
			if e != nil {
				g.cache.Put(k, gen, e)
				return answerOf(e), nil
			}
			// The fill is an anonymous request for the canonical query:
			// its answer is everyone's who asks for the same thing.
			fill := r.Clone(ctx)
			fill.Header.Del("Authorization")
			fill.URL.RawQuery = ak.Query
			a := g.render(next, fill, true)
			if a.status == http.StatusOK && a.header.Get(contract.HeaderDegraded) == "" {
				about.Header, about.Body = a.header, a.body.Bytes()
				g.cache.Put(k, gen, &about)
				if g.shared != nil {
					// After the answer, not before: Redis adds nothing to a miss.
					go g.shared.Put(context.Background(), k, sharedGen, &about)
				}
			}
			return a, nil
		})
		g.send(w, r, v.(*recorder), anonymous)
	})
}

// readsAsAnyone tells whether r's token is a valid user's who is not an
// admin: such a read gets the answer an anonymous one gets. A bad token, or
// auth-svc failing, is left to the handler, which answers it.
func (g *Gateway) readsAsAnyone(r *http.Request) bool {
	id, _, err := g.identify(r)
	return err == nil && !id.Anonymous() && !id.IsAdmin
}

// privateCacheControl marks an answer to a client with a token: a browser
// may keep it and must revalidate it; a shared cache must not keep it.
const privateCacheControl = "private, no-cache"

func answerOf(e *respcache.Entry) *recorder {
	return &recorder{header: e.Header, status: http.StatusOK, body: *bytes.NewBuffer(e.Body)}
}

// dropCached forgets the answers a write to movie id (0: a new movie) may
// change, here at once and, through Redis, on every replica.
func (g *Gateway) dropCached(ctx context.Context, id int64) {
	g.cache.DropMovie(id)
	if err := g.shared.Invalidate(context.WithoutCancel(ctx)); err != nil {
		g.log.WarnContext(ctx, "cached answers in Redis not invalidated; other replicas may serve them until they expire", "error", err)
	}
}

// render runs next into a recorder; a 200 gets its Cache-Control and, when
// the handler gave none (lists, searches), an ETag hashed from the body. A
// movie keeps its version's tag, the one If-Match compares with.
// The result is final: it may be shared by concurrent requests.
func (g *Gateway) render(next http.Handler, r *http.Request, anonymous bool) *recorder {
	a := &recorder{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(a, r)
	if a.status != http.StatusOK {
		return a
	}
	h := a.header
	if h.Get(contract.HeaderETag) == "" {
		h.Set(contract.HeaderETag, etag(a.body.Bytes()))
	}
	switch {
	case h.Get(contract.HeaderDegraded) != "":
		// A fallback's answer must not outlive the fault.
		h.Set("Cache-Control", "no-store")
	case anonymous:
		h.Set("Cache-Control", g.publicCacheControl)
	default:
		h.Set("Cache-Control", privateCacheControl)
	}
	return a
}

// send writes a rendered answer: a 200 through write, anything else as is.
// public is false when the client presented a token (see write).
func (g *Gateway) send(w http.ResponseWriter, r *http.Request, a *recorder, public bool) {
	if a.status == http.StatusOK {
		g.write(w, r, a.header, a.body.Bytes(), public)
		return
	}
	copyHeader(w.Header(), a.header)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body.Bytes())
}

// write sends a 200 answer, or 304 when the client holds it already. h may
// be a cached entry's: it is copied, never changed. An answer rendered for
// anyone but sent to a client with a token (public false) is private.
func (g *Gateway) write(w http.ResponseWriter, r *http.Request, h http.Header, body []byte, public bool) {
	out := w.Header()
	// Added, not set: CORS may vary on Origin too.
	if v, ok := out["Vary"]; ok {
		out["Vary"] = append(v, "Authorization")
	} else {
		out["Vary"] = varyAuthorization
	}
	cacheControl := h.Get("Cache-Control")
	private := !public && cacheControl == g.publicCacheControl
	if private {
		cacheControl = privateCacheControl
	}
	if notModified(r.Header.Get(contract.HeaderIfNoneMatch), h.Get(contract.HeaderETag)) {
		out.Set("ETag", h.Get("ETag"))
		out.Set("Cache-Control", cacheControl)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	copyHeader(out, h)
	switch {
	case private:
		out["Cache-Control"] = privateCacheControlValue
	case len(h["Cache-Control"]) == 0:
		out.Set("Cache-Control", cacheControl)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Header values shared by every answer, never changed in place: each is
// cut to its length, so an Add to the answer's header copies it first.
var (
	varyAuthorization        = []string{"Authorization"}
	privateCacheControlValue = []string{privateCacheControl}
)

// copyHeader puts h's values into out without copying them: h may be a
// cached entry's, shared by every request, and is never changed once
// rendered; each value is cut to its length, so an Add to out copies it
// instead of writing into h, and net/http clones the header before it
// sends it. Cloning every value on every hit was a tenth of the cached
// path's allocations.
func copyHeader(out, h http.Header) {
	for k, v := range h {
		out[k] = v[:len(v):len(v)]
	}
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
