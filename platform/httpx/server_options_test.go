package httpx_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/httpx"
)

// failed is an endpoint response carrying a business error.
type failed struct{ err error }

func (f failed) Failed() error { return f.err }

// A go-kit server built with ServerOptions answers errors through the one
// encoder and logs only those that are the server's fault.
func TestServerOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		logged bool
	}{
		{"a caller's mistake", apierr.ErrNotFound, http.StatusNotFound, false},
		{"a validation error", apierr.Validation(map[string][]string{"name": {apierr.MsgRequired}}), http.StatusBadRequest, false},
		{"a dependency down", apierr.ErrUnavailable, http.StatusServiceUnavailable, true},
		{"an unclassified error", errors.New("disk full"), http.StatusInternalServerError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logRecords
			var before string
			srv := httptransport.NewServer(
				func(context.Context, any) (any, error) { return nil, tc.err },
				func(context.Context, *http.Request) (any, error) { return nil, nil },
				func(context.Context, http.ResponseWriter, any) error { return nil },
				httpx.ServerOptions(logs.logger(), "testsvc", func(ctx context.Context, r *http.Request) context.Context {
					before = r.Header.Get("X-Actor")
					return ctx
				})...,
			)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("X-Actor", "admin")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != tc.status || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("answered %d %s", w.Code, w.Header().Get("Content-Type"))
			}
			if strings.Contains(w.Body.String(), "disk full") {
				t.Errorf("body %s shows an internal error", w.Body)
			}
			if before != "admin" {
				t.Error("the service's request function did not run")
			}
			entries := logs.entries(t)
			if logged := len(entries) == 1 && entries[0]["level"] == "ERROR" && entries[0]["msg"] == "testsvc transport"; logged != tc.logged {
				t.Errorf("logged %v, want logged=%v", entries, tc.logged)
			}
		})
	}
}

func TestEncodeFailure(t *testing.T) {
	w := httptest.NewRecorder()
	if !httpx.EncodeFailure(context.Background(), w, failed{apierr.ErrForbidden}) {
		t.Fatal("a failed response was not encoded")
	}
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), apierr.MsgForbidden) {
		t.Errorf("encoded %d %s", w.Code, w.Body)
	}
	for _, resp := range []any{failed{nil}, "not a failer", nil} {
		w := httptest.NewRecorder()
		if httpx.EncodeFailure(context.Background(), w, resp) || w.Body.Len() != 0 {
			t.Errorf("EncodeFailure(%v) wrote %q for a success", resp, w.Body)
		}
	}
}
