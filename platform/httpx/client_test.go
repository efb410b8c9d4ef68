package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// errFor maps the path the fake server is asked for to the error it encodes.
var errFor = map[string]error{
	"/api/movie/404/": apierr.ErrNotFound,
	"/api/movie/401/": apierr.ErrInvalidToken,
	"/api/movie/400/": apierr.Validation(map[string][]string{"name": {apierr.MsgRequired}}),
	"/api/movie/405/": apierr.MethodNotAllowedError(http.MethodPost, []string{"GET", "PUT"}),
	"/api/movie/429/": apierr.ErrThrottled.WithHeader("Retry-After", "3"),
	"/api/movie/500/": errors.New("database on fire"),
	"/api/movie/503/": apierr.ErrUnavailable,
}

type item struct {
	ID   string `json:"id"`
	Body string `json:"body"`
}

// remoteServer is the server side of a service as the platform builds it:
// handlers answering with WriteJSON or the one error encoder.
func remoteServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/base/api/movie/{id}/", func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/base")
		if err, ok := errFor[path]; ok {
			apierr.Encode(r.Context(), err, w)
			return
		}
		var body string
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			body = string(b)
		}
		w.Header().Set("X-Seen-Request-Id", r.Header.Get(contract.HeaderRequestID))
		w.Header().Set("X-Seen-Content-Type", r.Header.Get("Content-Type"))
		_ = httpx.WriteJSON(w, http.StatusOK, item{ID: r.PathValue("id"), Body: body})
	})
	mux.HandleFunc("/base/garbage", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html>not json"))
	})
	mux.HandleFunc("/base/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// getItem is an endpoint that puts the id (the request) into the path.
func getItem(rm *httpx.Remote) func(ctx context.Context, id string) (item, error) {
	ep := rm.Endpoint(http.MethodPut, contract.RouteMovie, func(_ context.Context, r *http.Request, req any) error {
		r.URL.Path = strings.Replace(rm.Path(contract.RouteMovie), "{id}", req.(string), 1)
		return httpx.SetJSONBody(r, map[string]string{"id": req.(string)})
	}, httpx.DecodeInto(rm, func(v item) any { return v }))
	return func(ctx context.Context, id string) (item, error) {
		resp, err := ep(ctx, id)
		if err != nil {
			return item{}, err
		}
		return resp.(item), nil
	}
}

func TestRemoteRebuildsErrors(t *testing.T) {
	srv := remoteServer(t)
	rm, err := httpx.NewRemote("test", srv.URL+"/base/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	get := getItem(rm)
	cases := []struct {
		id     string
		is     error
		kind   apierr.Kind
		header [2]string
	}{
		{id: "404", is: apierr.ErrNotFound, kind: apierr.NotFound},
		{id: "401", is: apierr.ErrInvalidToken, kind: apierr.Unauthenticated, header: [2]string{"WWW-Authenticate", `Token realm="api"`}},
		{id: "400", is: apierr.Validation(map[string][]string{"name": {apierr.MsgRequired}}), kind: apierr.Invalid},
		{id: "405", is: apierr.New(apierr.MethodNotAllowed, ""), kind: apierr.MethodNotAllowed, header: [2]string{"Allow", "GET, PUT"}},
		{id: "429", is: apierr.ErrThrottled, kind: apierr.TooManyRequests, header: [2]string{"Retry-After", "3"}},
		{id: "500", is: apierr.New(apierr.Internal, apierr.MsgServerError), kind: apierr.Internal},
		{id: "503", is: apierr.ErrUnavailable, kind: apierr.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			_, err := get(context.Background(), tc.id)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v does not match %v", err, tc.is)
			}
			if k := apierr.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v", k, tc.kind)
			}
			var e *apierr.Error
			errors.As(err, &e)
			if tc.header[0] != "" && e.Header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s = %q, want %q", tc.header[0], e.Header.Get(tc.header[0]), tc.header[1])
			}
			// Encoding the rebuilt error again gives the caller's client the
			// same answer: a remote service fails like a local one.
			w := httptest.NewRecorder()
			apierr.Encode(context.Background(), err, w)
			if w.Code != tc.kind.Status() {
				t.Errorf("re-encoded as %d, want %d", w.Code, tc.kind.Status())
			}
		})
	}
	// A rebuilt error matches its own sentinel only.
	if _, err := get(context.Background(), "404"); errors.Is(err, apierr.ErrUnavailable) || errors.Is(err, apierr.ErrForbidden) {
		t.Errorf("404 matches another sentinel: %v", err)
	}
}

func TestRemoteSuccess(t *testing.T) {
	srv := remoteServer(t)
	rm, err := httpx.NewRemote("test", srv.URL+"/base", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := rm.Path(contract.RouteMovies); p != "/base/api/movies/" {
		t.Errorf("Path = %q, want the route under the base path", p)
	}
	ctx := httpx.ContextWithRequestID(context.Background(), "req-42")
	var header http.Header
	ep := rm.Endpoint(http.MethodPost, "/api/movie/9/", func(_ context.Context, r *http.Request, req any) error {
		return httpx.SetJSONBody(r, req)
	}, func(_ context.Context, resp *http.Response) (any, error) {
		header = resp.Header
		if err := httpx.ResponseError(resp); err != nil {
			return nil, err
		}
		var v item
		return v, httpx.ReadJSON(resp, &v)
	})
	got, err := ep(ctx, map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := (item{ID: "9", Body: `{"n":1}`}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if header.Get("X-Seen-Request-Id") != "req-42" {
		t.Errorf("server saw request id %q, want the context's req-42", header.Get("X-Seen-Request-Id"))
	}
	if header.Get("X-Seen-Content-Type") != "application/json" {
		t.Errorf("server saw content type %q", header.Get("X-Seen-Content-Type"))
	}

	// No request id in the context: none is made up by the client.
	if _, err := ep(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if header.Get("X-Seen-Request-Id") != "" {
		t.Errorf("server saw request id %q from a context without one", header.Get("X-Seen-Request-Id"))
	}
}

func TestRemoteBadResponses(t *testing.T) {
	srv := remoteServer(t)
	rm, err := httpx.NewRemote("test", srv.URL+"/base", nil)
	if err != nil {
		t.Fatal(err)
	}
	garbage := rm.Endpoint(http.MethodGet, "/garbage", nil, httpx.DecodeInto(rm, func(v item) any { return v }))
	if _, err := garbage(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "test client: bad response body") {
		t.Errorf("a non-JSON success body gave %v", err)
	}
	empty := rm.Endpoint(http.MethodDelete, "/empty", nil, httpx.DecodeEmpty("done"))
	if got, err := empty(context.Background(), nil); err != nil || got != "done" {
		t.Errorf("DecodeEmpty = %v, %v", got, err)
	}
	failing := rm.Endpoint(http.MethodDelete, "/api/movie/404/", nil, httpx.DecodeEmpty("done"))
	if _, err := failing(context.Background(), nil); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("DecodeEmpty on a 404 = %v", err)
	}
}

func TestRemoteUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	rm, err := httpx.NewRemote("test", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := rm.Endpoint(http.MethodGet, "/x", nil, httpx.DecodeEmpty(nil))
	_, err = ep(context.Background(), nil)
	if err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	var e *apierr.Error
	if errors.As(err, &e) {
		t.Errorf("a transport failure came back as the API error %v; it must stay a plain error", e)
	}
}

func TestNewRemoteRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8081", "/relative", "http://", "://x", "http://[::1"} {
		if _, err := httpx.NewRemote("catalog", u, nil); err == nil || !strings.Contains(err.Error(), "catalog client: bad base URL") {
			t.Errorf("NewRemote(%q) = %v, want a bad base URL error", u, err)
		}
	}
}

func TestSetJSONBodyIsReplayable(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if err := httpx.SetJSONBody(r, map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		body, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(body)
		if string(b) != `{"a":"b"}` || r.ContentLength != int64(len(b)) {
			t.Errorf("body %q, length %d", b, r.ContentLength)
		}
	}
	if err := httpx.SetJSONBody(r, make(chan int)); err == nil {
		t.Error("SetJSONBody of a channel succeeded")
	}
}

func TestReadJSONBound(t *testing.T) {
	resp := &http.Response{Body: io.NopCloser(io.MultiReader(strings.NewReader(`"`),
		strings.NewReader(strings.Repeat("x", httpx.MaxResponseBytes))))}
	var s string
	if err := httpx.ReadJSON(resp, &s); err == nil {
		t.Error("a body past MaxResponseBytes was read whole")
	}
}
