package docs_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"

	"github.com/moviesplatform/gateway/docs"
)

func server() *httpx.Router {
	rt := httpx.NewRouter(nil)
	docs.Register(rt)
	return rt
}

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// external matches a reference to another host: a scheme or a
// protocol-relative URL.
var external = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

// references lists the src and href values of a page.
var references = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

// TestThePageAndEverythingItLoadsComeFromTheBinary follows every file the
// page loads: each is served here, with its type, and neither the page nor
// its own script names another host. The page's policy tells the browser to
// fetch nothing from elsewhere, so a library that tried would fail loudly.
func TestThePageAndEverythingItLoadsComeFromTheBinary(t *testing.T) {
	h := server()
	for _, path := range []string{contract.RouteDocs, strings.TrimSuffix(contract.RouteDocs, "/")} {
		w := get(t, h, http.MethodGet, path, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
		}
		csp := w.Header().Get("Content-Security-Policy")
		for _, directive := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'"} {
			if !strings.Contains(csp, directive) {
				t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
			}
		}
	}
	page := get(t, h, http.MethodGet, contract.RouteDocs, nil).Body.String()
	if m := external.FindString(page); m != "" {
		t.Errorf("the page refers to another host: %q", m)
	}
	if !strings.Contains(page, `data-spec-url="`+contract.RouteOpenAPI+`"`) {
		t.Errorf("the page does not load this gateway's document:\n%s", page)
	}

	wantTypes := map[string]string{".js": "text/javascript", ".css": "text/css"}
	loaded := 0
	for _, m := range references.FindAllStringSubmatch(page, -1) {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		if !strings.HasPrefix(ref, contract.RouteDocsAssets) {
			t.Errorf("the page loads %q, not one of its own assets", ref)
			continue
		}
		w := get(t, h, http.MethodGet, ref, nil)
		ext := ref[strings.LastIndex(ref, "."):]
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), wantTypes[ext]) || w.Body.Len() == 0 {
			t.Errorf("%s: %d %q, %d bytes", ref, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
			continue
		}
		if strings.HasSuffix(ref, "/page.js") {
			if m := external.FindString(w.Body.String()); m != "" {
				t.Errorf("page.js refers to another host: %q", m)
			}
		}
		etag := w.Header().Get("ETag")
		if w := get(t, h, http.MethodGet, ref, http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", ref, w.Code)
		}
		loaded++
	}
	if loaded < 3 {
		t.Errorf("the page loads %d of its assets; want Swagger UI's script and style, and page.js", loaded)
	}

	if w := get(t, h, http.MethodGet, contract.RouteDocsAssets+"other.js", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d", w.Code)
	}
	w := get(t, h, http.MethodPost, contract.RouteDocsAssets+"page.js", nil)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") == "" {
		t.Errorf("POST of an asset: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestTheDocumentIsTheContracts(t *testing.T) {
	w := get(t, server(), http.MethodGet, contract.RouteOpenAPI, nil)
	if w.Code != http.StatusOK || w.Body.String() != string(contract.OpenAPI()) {
		t.Fatalf("%d, and the body differs from the contract's document", w.Code)
	}
}
