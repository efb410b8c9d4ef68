package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

// ParsePublicURL checks the public base URL of the API (the address
// clients use, e.g. https://movies.example or https://example.com/movies):
// absolute http(s), a host, no query or fragment. A trailing slash is
// dropped.
func ParsePublicURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, err
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("the scheme must be http or https")
	case u.Host == "" || !validHost(u.Host):
		return nil, errors.New("a host is required")
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("only a scheme, a host and a path prefix are allowed")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// baseURL is the scheme, host and path prefix of the URLs the gateway hands
// out (Link, Location): the configured public URL when there is one;
// otherwise what the client used to reach us, as a trusted proxy's
// X-Forwarded-Proto and X-Forwarded-Host tell it, or the request's own.
// Anyone else's forwarded headers are ignored: they would let a client
// choose the host of the links a shared cache hands to others.
func (g *Gateway) baseURL(r *http.Request) *url.URL {
	if g.publicURL != nil {
		u := *g.publicURL
		return &u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if g.trustsProxy(r) {
		if p := strings.ToLower(firstForwarded(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); h != "" && validHost(h) {
			host = h
		}
	}
	return &url.URL{Scheme: scheme, Host: host}
}

// absoluteURL is path (a route of the API) under baseURL.
func (g *Gateway) absoluteURL(r *http.Request, path string) *url.URL {
	u := g.baseURL(r)
	u.Path += path
	return u
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
// previous one (signed already).
func (g *Gateway) pageLinks(r *http.Request, path, next, prev string) string {
	var links []string
	for _, l := range []struct{ cursor, rel string }{{next, "next"}, {prev, "prev"}} {
		if l.cursor == "" {
			continue
		}
		u := g.absoluteURL(r, path)
		q := r.URL.Query()
		q.Set(contract.ParamCursor, l.cursor)
		u.RawQuery = q.Encode()
		links = append(links, "<"+u.String()+`>; rel="`+l.rel+`"`)
	}
	return strings.Join(links, ", ")
}
