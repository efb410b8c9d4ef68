package gateway

import (
	"net/http"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

// CORS lets pages on any origin read the API (GET and HEAD): the data is
// public, and tokens travel in a header, never in cookies, so a wildcard
// origin exposes nothing that a plain request would not. Writes from browsers
// get no CORS grant.
func CORS(next http.Handler) http.Handler {
	exposed := strings.Join([]string{"Link", contract.HeaderTotalCount, contract.HeaderRequestID, contract.HeaderDegraded, HeaderPageRestarted, "ETag"}, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", exposed)
		case r.Method == http.MethodOptions && isReadPreflight(r):
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Allow-Methods", "GET, HEAD")
			h.Set("Access-Control-Allow-Headers", "Authorization, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isReadPreflight(r *http.Request) bool {
	m := r.Header.Get("Access-Control-Request-Method")
	return m == http.MethodGet || m == http.MethodHead
}
