package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

// baseURL is the scheme and host the client used to reach us, so the URLs we
// hand out (Link, Location) work from where the client stands, also behind a
// proxy that sets X-Forwarded-Proto / X-Forwarded-Host.
func baseURL(r *http.Request) *url.URL {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(firstForwarded(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); h != "" && validHost(h) {
		host = h
	}
	return &url.URL{Scheme: scheme, Host: host}
}

// firstForwarded is the value the outermost proxy set, in a list that each
// proxy on the way appends to.
func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost keeps header injection and garbage out of the URLs we emit.
func validHost(h string) bool {
	if len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_' ||
			c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// pageLinks is the RFC 8288 Link header value of a page at path: the
// request's URL with its own query, the cursor swapped for the next or
// previous one.
func pageLinks(r *http.Request, path, next, prev string) string {
	var links []string
	for _, l := range []struct{ cursor, rel string }{{next, "next"}, {prev, "prev"}} {
		if l.cursor == "" {
			continue
		}
		u := baseURL(r)
		u.Path = path
		q := r.URL.Query()
		q.Set(contract.ParamCursor, l.cursor)
		u.RawQuery = q.Encode()
		links = append(links, "<"+u.String()+`>; rel="`+l.rel+`"`)
	}
	return strings.Join(links, ", ")
}
