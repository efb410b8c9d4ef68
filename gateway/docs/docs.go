// Package docs serves the API's OpenAPI document and a page that renders it
// with Swagger UI, with a console to try each operation. Everything comes
// from the binary: the page works offline and behind strict egress rules,
// and its Content-Security-Policy lets the browser fetch nothing from another
// host. update-assets.sh refreshes the Swagger UI files (swagger-ui-dist
// from npm, Apache-2.0; version in assets/SWAGGER_UI_VERSION).
package docs

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

var (
	//go:embed page.html
	page []byte
	//go:embed page.js
	pageJS []byte
	//go:embed assets/swagger-ui-bundle.js
	swaggerUIJS []byte
	//go:embed assets/swagger-ui.css
	swaggerUICSS []byte
)

const (
	typeJS  = "text/javascript; charset=utf-8"
	typeCSS = "text/css; charset=utf-8"
)

// contentSecurityPolicy keeps the page on its own host: scripts, styles,
// fonts and requests (the console's too) go to the gateway that served it.
// Swagger UI sets style attributes, hence 'unsafe-inline' for styles only;
// images may be data: URLs (its icons).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// Register serves the document, the page and the page's files on rt.
func Register(rt *httpx.Router) {
	spec := contract.OpenAPI()
	rt.Handle(http.MethodGet, contract.RouteOpenAPI, static("application/json", spec))
	rt.Handle(http.MethodGet, contract.RouteDocs, withCSP(static("text/html; charset=utf-8", page)))
	// Mounted, not routed: the files are plumbing of the page, not part of
	// the documented API.
	rt.Mount(contract.RouteDocsAssets, assets(map[string]http.Handler{
		"swagger-ui-bundle.js": static(typeJS, swaggerUIJS),
		"swagger-ui.css":       static(typeCSS, swaggerUICSS),
		"page.js":              static(typeJS, pageJS),
	}))
}

// static serves fixed bytes with a content-derived ETag, so browsers
// revalidate cheaply and a new build is picked up at once.
func static(contentType string, body []byte) http.Handler {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", etag)
		h.Set("Cache-Control", "public, max-age=300")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

func withCSP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

func assets(files map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file, ok := files[strings.TrimPrefix(r.URL.Path, contract.RouteDocsAssets)]
		if !ok {
			apierr.Encode(r.Context(), apierr.ErrNotFound, w)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apierr.Encode(r.Context(), apierr.MethodNotAllowedError(r.Method, []string{http.MethodGet, http.MethodHead}), w)
			return
		}
		file.ServeHTTP(w, r)
	})
}
