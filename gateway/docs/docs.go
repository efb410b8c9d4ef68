// Package docs serves the API's OpenAPI document and a page that renders it
// with Redoc. Everything comes from the binary: the page works offline and
// behind strict egress rules. update-assets.sh refreshes the Redoc bundle.
package docs

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

//go:embed assets/redoc.standalone.js
var redocJS []byte

//go:embed page.html
var page []byte

// RedocPath is where the page loads the Redoc bundle from.
const RedocPath = contract.RouteDocsAssets + "redoc.standalone.js"

// Register serves the document, the page and the page's script on rt.
func Register(rt *httpx.Router) {
	spec := contract.OpenAPI()
	rt.Handle(http.MethodGet, contract.RouteOpenAPI, static("application/json", spec))
	rt.Handle(http.MethodGet, contract.RouteDocs, static("text/html; charset=utf-8", page))
	// Mounted, not routed: the bundle is plumbing of the page, not part of the
	// documented API.
	rt.Mount(contract.RouteDocsAssets, assets(static("text/javascript; charset=utf-8", redocJS)))
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

func assets(bundle http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != RedocPath {
			apierr.Encode(r.Context(), apierr.ErrNotFound, w)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apierr.Encode(r.Context(), apierr.MethodNotAllowedError(r.Method, []string{http.MethodGet, http.MethodHead}), w)
			return
		}
		bundle.ServeHTTP(w, r)
	})
}
