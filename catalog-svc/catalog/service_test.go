package catalog_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// newLocal returns the catalog service, with its middlewares, on a fresh
// database of backend b.
func newLocal(t *testing.T, b sqltest.Backend) catalog.Endpoints {
	t.Helper()
	return newLocalWith(t, b, catalog.Options{})
}

// newLocalWith is newLocal with the policies of opts.
func newLocalWith(t *testing.T, b sqltest.Backend, opts catalog.Options) catalog.Endpoints {
	t.Helper()
	db := sqltest.Open(t, b)
	if err := store.Migrate(context.Background(), db, b.Driver); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, b.Driver)
	if err != nil {
		t.Fatal(err)
	}
	return catalog.New(s, opts, endpointmw.Standard(catalog.ServiceName, endpointmw.Observers{
		Log: logging.Discard(), Metrics: prometheus.NewRegistry(),
	})...)
}

// headerLog remembers the headers the server saw, so tests can check what
// the client forwards.
type headerLog struct {
	mu   sync.Mutex
	last http.Header
}

func (h *headerLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.last = r.Header.Clone()
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *headerLog) get(key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last.Get(key)
}

// newRemote serves a local service over HTTP and returns a client of it.
func newRemote(t *testing.T, b sqltest.Backend, seen *headerLog) catalog.Service {
	t.Helper()
	return serve(t, newLocal(t, b), seen)
}

// serve serves local over HTTP and returns a client of it.
func serve(t *testing.T, local catalog.Endpoints, seen *headerLog) catalog.Service {
	t.Helper()
	keys := servicetokentest.New(t, servicetoken.Gateway, servicetoken.Search)
	h := catalog.NewHTTPHandler(local, logging.Discard(), httpx.NewHTTPMetrics(prometheus.NewRegistry()), keys.Guard(catalog.ServiceName))
	srv := httptest.NewServer(seen.wrap(h))
	t.Cleanup(srv.Close)
	c, err := catalog.NewHTTPClient(srv.URL+"/", keys.ClientAs(catalogtest.CallerOf, catalog.ServiceName, srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c.Service()
}

// TestServiceLocalAndRemote runs one behaviour suite against the service
// and against the HTTP client of it: callers cannot tell them apart.
func TestServiceLocalAndRemote(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver)+"/local", func(t *testing.T) { behaviour(t, newLocal(t, b).Service()) })
		t.Run(string(b.Driver)+"/remote", func(t *testing.T) { behaviour(t, newRemote(t, b, &headerLog{})) })
	}
}

func ptr[T any](v T) *T { return &v }

func write(name, director string, popularity, score float64, genres ...string) contract.MovieWrite {
	g := []contract.Genre{}
	for _, n := range genres {
		g = append(g, contract.Genre{Name: n})
	}
	return contract.MovieWrite{Name: &name, Director: &director, Popularity: &popularity, IMDBScore: &score, Genre: &g}
}

func wantFields(t *testing.T, err error, fields map[string][]string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Kind != apierr.Invalid || !reflect.DeepEqual(e.Fields, fields) {
		t.Fatalf("error = %#v, want validation error %v", err, fields)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("error = %v, want not found", err)
	}
}

func behaviour(t *testing.T, svc catalog.Service) {
	ctx := catalog.WithActor(context.Background(), "admin")

	// Create: trimmed, genres merged, director optional.
	kk, err := svc.Create(ctx, write(" King Kong ", "Merian C. Cooper", 80, 8, "Adventure", "fantasy", "Fantasy"))
	if err != nil {
		t.Fatal(err)
	}
	want := contract.Movie{ID: kk.ID, Name: "King Kong", Director: "Merian C. Cooper", Popularity: 80, IMDBScore: 8,
		Genre: []contract.Genre{{Name: "Adventure"}, {Name: "fantasy"}}, Version: 1}
	if !reflect.DeepEqual(kk, want) {
		t.Fatalf("created %+v, want %+v", kk, want)
	}
	psycho, err := svc.Create(ctx, contract.MovieWrite{Name: ptr("Psycho"), Popularity: ptr(87.0), IMDBScore: ptr(8.7)})
	if err != nil {
		t.Fatal(err)
	}
	if psycho.Director != "" || psycho.Genre == nil || len(psycho.Genre) != 0 {
		t.Fatalf("defaults: %+v", psycho)
	}
	if got, err := svc.Get(ctx, kk.ID); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	// Bad input: field errors, nothing written.
	_, err = svc.Create(ctx, contract.MovieWrite{Name: ptr(" "), IMDBScore: ptr(11.0)})
	wantFields(t, err, map[string][]string{
		"name": {"This field may not be blank."}, "popularity": {apierr.MsgRequired},
		"imdb_score": {"Ensure this value is less than or equal to 10."},
	})
	_, err = svc.Create(ctx, contract.MovieWrite{Name: ptr("x"), Popularity: ptr(math.NaN()), IMDBScore: ptr(1.0)})
	wantFields(t, err, map[string][]string{"popularity": {"A valid number is required."}})
	_, err = svc.Replace(ctx, kk.ID, contract.MovieWrite{Name: ptr("only a name")})
	wantFields(t, err, map[string][]string{"popularity": {apierr.MsgRequired}, "imdb_score": {apierr.MsgRequired}})
	_, err = svc.Patch(ctx, 9999, contract.MovieWrite{Popularity: ptr(-1.0)})
	wantFields(t, err, map[string][]string{"popularity": {"Ensure this value is greater than or equal to 0."}})

	// Replace and patch.
	replaced, err := svc.Replace(ctx, kk.ID, write("King Kong Part 2", "Merian C. Cooper", 85, 8.5, "Adventure", "Thriller"))
	if err != nil {
		t.Fatal(err)
	}
	if replaced.Name != "King Kong Part 2" || replaced.Popularity != 85 || len(replaced.Genre) != 2 {
		t.Fatalf("replaced %+v", replaced)
	}
	patched, err := svc.Patch(ctx, kk.ID, contract.MovieWrite{IMDBScore: ptr(9.0)})
	if err != nil {
		t.Fatal(err)
	}
	replaced.IMDBScore, replaced.Version = 9, replaced.Version+1
	if !reflect.DeepEqual(patched, replaced) {
		t.Fatalf("patched %+v, want %+v", patched, replaced)
	}

	// Unknown ids.
	_, err = svc.Get(ctx, 9999)
	wantNotFound(t, err)
	_, err = svc.Replace(ctx, 9999, write("x", "", 1, 1))
	wantNotFound(t, err)
	_, err = svc.Patch(ctx, 9999, contract.MovieWrite{})
	wantNotFound(t, err)
	wantNotFound(t, svc.Delete(ctx, 9999))
	_, err = svc.Get(ctx, 0)
	wantNotFound(t, err)

	// Listing with paging and totals, and a cursor of another ordering.
	for i := range 5 {
		if _, err := svc.Create(ctx, write("Star "+string(rune('A'+i)), "", float64(i), 5)); err != nil {
			t.Fatal(err)
		}
	}
	byPop, _ := contract.ParseOrdering("-popularity")
	q := contract.ListQuery{Search: "STAR", Ordering: byPop, PageSize: 2}
	var names []string
	for {
		p, err := svc.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// A filtered list is counted on its first page only.
		if first := q.Cursor == ""; first && (p.Total == nil || *p.Total != 5) || !first && p.Total != nil {
			t.Fatalf("total %v on the page of cursor %q", p.Total, q.Cursor)
		}
		for _, m := range p.Movies {
			names = append(names, m.Name)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if !reflect.DeepEqual(names, []string{"Star E", "Star D", "Star C", "Star B", "Star A"}) {
		t.Fatalf("paged names %v", names)
	}
	q.Ordering = nil
	_, err = svc.List(ctx, q)
	wantFields(t, err, map[string][]string{contract.ParamCursor: {"Invalid cursor."}})
	if !errors.Is(err, catalog.ErrInvalidCursor) {
		t.Fatalf("not ErrInvalidCursor: %v", err)
	}
	// Page sizes beyond the maximum are clamped alike.
	if p, err := svc.List(ctx, contract.ListQuery{PageSize: 10_000}); err != nil || len(p.Movies) != 7 {
		t.Fatalf("big page: %d movies, %v", len(p.Movies), err)
	}

	// Delete, then the change feed tells the whole story with its actor.
	if err := svc.Delete(ctx, psycho.ID); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, svc.Delete(ctx, psycho.ID))
	feed, err := svc.Changes(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Changes) != 3 || feed.Last != 3 || feed.Head != 10 || feed.Changes[0].Actor != "admin" ||
		feed.Changes[0].Movie == nil || feed.Changes[0].Movie.Name != "King Kong" {
		t.Fatalf("feed page %+v", feed)
	}
	feed, err = svc.Changes(ctx, 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Changes) != 1 || feed.Changes[0].Op != contract.OpDelete || feed.Changes[0].Movie != nil ||
		feed.Changes[0].MovieID != psycho.ID || feed.Last != 10 {
		t.Fatalf("tombstone page %+v", feed)
	}
	if feed, err = svc.Changes(ctx, 10, 5000); err != nil || len(feed.Changes) != 0 || feed.Last != 10 {
		t.Fatalf("empty page %+v, %v", feed, err)
	}
}

func TestClientForwardsActorAndRequestID(t *testing.T) {
	seen := &headerLog{}
	c := newRemote(t, sqltest.Backend{Driver: "sqlite", DSN: sqltest.SQLite}, seen)
	ctx := httpx.ContextWithRequestID(catalog.WithActor(context.Background(), "alice"), "req-123")
	m, err := c.Create(ctx, write("Metropolis", "Fritz Lang", 84, 8.4, "Sci-Fi"))
	if err != nil {
		t.Fatal(err)
	}
	if got := seen.get("Authorization"); !strings.HasPrefix(got, "Bearer ") {
		t.Errorf("Authorization %q, want a service token", got)
	}
	if got := seen.get(contract.HeaderRequestID); got != "req-123" {
		t.Errorf("request id header %q", got)
	}
	p, err := c.Changes(context.Background(), 0, 10)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Actor != "alice" || p.Changes[0].MovieID != m.ID {
		t.Fatalf("feed %+v, %v", p, err)
	}
}

func TestNewHTTPClientRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8081", "://x"} {
		if _, err := catalog.NewHTTPClient(u, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
