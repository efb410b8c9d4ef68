package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/promtest"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/upstream"
	"github.com/moviesplatform/gateway/upstream/upstreamtest"
)

// httpCatalog fetches movies over real HTTP, as the catalog's client does, so
// the guard meets real network failures rather than simulated ones.
type httpCatalog struct {
	*catalogtest.Catalog
	base string
}

func (c httpCatalog) Get(ctx context.Context, id int64) (contract.Movie, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+contract.MoviePath(id), nil)
	if err != nil {
		return contract.Movie{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return contract.Movie{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return contract.Movie{}, apierr.FromResponse(resp)
	}
	var m contract.Movie
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

func newGuard(t *testing.T, s upstream.Settings) (*upstream.Guard, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return upstream.NewGuard(s, upstream.NewMetrics(reg)), reg
}

func TestBreakerOpensWhenTheUpstreamIsDown(t *testing.T) {
	g, reg := newGuard(t, upstream.Settings{Name: "catalog", Timeout: time.Second, TripAfter: 3, OpenFor: time.Minute})
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), upstreamtest.ClosedURL(t)})
	for i := range 3 {
		_, err := svc.Get(context.Background(), 1)
		if apierr.KindOf(err) != apierr.Unavailable {
			t.Fatalf("call %d: %v, want Unavailable", i, err)
		}
		if errors.Is(err, gobreaker.ErrOpenState) {
			t.Fatalf("call %d rejected before the breaker should open", i)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after 3 failures", g.State())
	}
	_, err := svc.Get(context.Background(), 1)
	if apierr.KindOf(err) != apierr.Unavailable || !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("open breaker let a call through: %v", err)
	}
	if ra := err.(*apierr.Error).Header.Get("Retry-After"); ra != "60" {
		t.Fatalf("Retry-After %q", ra)
	}
	if v := gauge(t, reg, "gateway_upstream_breaker_state"); v != 2 {
		t.Fatalf("breaker state metric %v", v)
	}
	// The three calls that reached the network are timed; the refused one is not.
	timed := func(result string) uint64 {
		return promtest.Of(t, reg, "gateway_upstream_call_duration_seconds", map[string]string{"upstream": "catalog", "result": result}).Count
	}
	if n := timed("failure"); n != 3 {
		t.Fatalf("timed failures %d, want 3", n)
	}
	if n := timed("rejected"); n != 0 {
		t.Fatalf("timed rejections %d, want 0", n)
	}
}

// gauge is the value of the first series of a gauge on reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestSlowUpstreamIsATimeoutNotAHang(t *testing.T) {
	slow := upstreamtest.HangingServer(t)

	g, _ := newGuard(t, upstream.Settings{Name: "catalog", Timeout: 50 * time.Millisecond, TripAfter: 2, OpenFor: time.Minute})
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), slow.URL})
	for range 2 {
		if _, err := svc.Get(context.Background(), 1); apierr.KindOf(err) != apierr.Timeout {
			t.Fatalf("slow upstream gave %v, want Timeout", err)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after timeouts", g.State())
	}
}

func TestClientErrorsDoNotTripTheBreaker(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierr.Encode(r.Context(), catalog.ErrNotFound, w)
	}))
	t.Cleanup(srv.Close)
	g, _ := newGuard(t, upstream.Settings{Name: "catalog", TripAfter: 2, OpenFor: time.Minute})
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), srv.URL})
	for i := range 10 {
		if _, err := svc.Get(context.Background(), 1); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("call %d: %v, want the upstream's 404", i, err)
		}
	}
	if g.State() != "closed" {
		t.Fatalf("404s opened the breaker")
	}
}

func TestServerErrorsTripTheBreakerAndItRecovers(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			apierr.Encode(r.Context(), errors.New("db down"), w)
			return
		}
		_ = json.NewEncoder(w).Encode(contract.Movie{ID: 1})
	}))
	t.Cleanup(srv.Close)
	g, _ := newGuard(t, upstream.Settings{Name: "catalog", TripAfter: 2, OpenFor: 20 * time.Millisecond})
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), srv.URL})
	for range 2 {
		if _, err := svc.Get(context.Background(), 1); apierr.KindOf(err) != apierr.Internal {
			t.Fatalf("got %v", err)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after 500s", g.State())
	}
	failing.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for g.State() != "closed" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		_, _ = svc.Get(context.Background(), 1)
	}
	if g.State() != "closed" {
		t.Fatal("breaker never closed after the upstream recovered")
	}
}

func TestCallerCancellationIsNotHeldAgainstTheUpstream(t *testing.T) {
	g, _ := newGuard(t, upstream.Settings{Name: "catalog", TripAfter: 1, OpenFor: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), upstreamtest.ClosedURL(t)})
	for range 3 {
		if _, err := svc.Get(ctx, 1); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	}
	if g.State() != "closed" {
		t.Fatal("cancelled calls opened the breaker")
	}
}

func TestEveryMethodIsGuarded(t *testing.T) {
	g, _ := newGuard(t, upstream.Settings{Name: "x", TripAfter: 1, OpenFor: time.Minute})
	// Open the breaker with one real failure, then every method must be refused.
	_, _ = guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), upstreamtest.ClosedURL(t)}).Get(context.Background(), 1)
	c := guardCatalog(oneGuard(g), catalogtest.NewCatalog(catalogtest.Seed(1)...))
	a := auth.MakeEndpoints(authtest.NewAuth()).Use(g.Middleware()).Service()
	ctx := context.Background()
	name := "n"
	calls := map[string]error{}
	_, calls["List"] = c.List(ctx, contract.ListQuery{})
	_, calls["Get"] = c.Get(ctx, 1)
	_, calls["Create"] = c.Create(ctx, contract.MovieWrite{Name: &name})
	_, calls["Replace"] = c.Replace(ctx, 1, contract.MovieWrite{Name: &name})
	_, calls["Patch"] = c.Patch(ctx, 1, contract.MovieWrite{})
	calls["Delete"] = c.Delete(ctx, 1)
	_, calls["Changes"] = c.Changes(ctx, 0, 1)
	_, calls["Login"] = a.Login(ctx, contract.Credentials{})
	calls["Revoke"] = a.Revoke(ctx, "t")
	_, calls["Introspect"] = a.Introspect(ctx, "t")
	_, calls["CreateUser"] = a.CreateUser(ctx, contract.NewUser{})
	for m, err := range calls {
		if !errors.Is(err, gobreaker.ErrOpenState) {
			t.Errorf("%s not guarded: %v", m, err)
		}
	}
}

// oneGuard uses g for every catalog route class.
func oneGuard(g *upstream.Guard) upstream.CatalogGuards {
	return upstream.CatalogGuards{List: g, Read: g, Write: g}
}

// slowLists answers List from a server that never replies and everything
// else from memory, like a catalog whose filtered pages are too costly.
type slowLists struct {
	*catalogtest.Catalog
	base string
}

func (c slowLists) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+contract.RouteMovies, nil)
	if err != nil {
		return contract.Page{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return contract.Page{}, err
	}
	resp.Body.Close()
	return contract.Page{}, nil
}

func TestSlowListsDoNotOpenTheDetailCircuit(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := upstream.NewMetrics(reg)
	settings := func(name string) upstream.Settings {
		return upstream.Settings{Name: name, Timeout: 50 * time.Millisecond, TripAfter: 2, OpenFor: time.Minute}
	}
	guards := upstream.CatalogGuards{
		List:  upstream.NewGuard(settings("list"), m),
		Read:  upstream.NewGuard(settings("read"), m),
		Write: upstream.NewGuard(settings("write"), m),
	}
	svc := guardCatalog(guards, slowLists{catalogtest.NewCatalog(catalogtest.Seed(3)...), upstreamtest.HangingServer(t).URL})
	for range 3 {
		if _, err := svc.List(context.Background(), contract.ListQuery{}); apierr.KindOf(err) == apierr.Internal {
			t.Fatalf("slow list gave %v", err)
		}
	}
	if guards.List.State() != "open" {
		t.Fatalf("list breaker %s after timeouts", guards.List.State())
	}
	if _, err := svc.Get(context.Background(), 1); err != nil {
		t.Fatalf("detail refused while only lists are slow: %v", err)
	}
	if guards.Read.State() != "closed" || guards.Write.State() != "closed" {
		t.Errorf("read %s, write %s: slow lists reached other route classes", guards.Read.State(), guards.Write.State())
	}
}

// A saturated upstream: calls past the bound are refused at once, never
// reach it, and do not count against its breaker; the calls admitted finish
// normally.
func TestCallsPastTheBoundAreShedNotQueued(t *testing.T) {
	var seen atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(contract.Movie{ID: 1, Name: "Busy"})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	g, reg := newGuard(t, upstream.Settings{Name: "catalog", Timeout: 10 * time.Second, TripAfter: 1, MaxInFlight: 2})
	svc := guardCatalog(oneGuard(g), httpCatalog{catalogtest.NewCatalog(), srv.URL})
	admitted := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := svc.Get(context.Background(), 1)
			admitted <- err
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for seen.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two admitted calls never reached the upstream")
		}
		time.Sleep(time.Millisecond)
	}

	// Without the bound this call would wait on the upstream: bounded here
	// so that the test fails rather than hangs.
	third, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := svc.Get(third, 1)
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Kind != apierr.Unavailable || ae.Header.Get("Retry-After") == "" {
		t.Fatalf("a call past the bound: %v, want a 503 with Retry-After", err)
	}
	if n := seen.Load(); n != 2 {
		t.Fatalf("the upstream saw %d calls, want the 2 admitted", n)
	}
	if g.State() != "closed" {
		t.Fatalf("breaker %s after a shed call (it trips after one failure)", g.State())
	}
	if got := callCount(t, reg, "shed"); got != 1 {
		t.Fatalf("shed calls counted %v, want 1", got)
	}

	close(release)
	for range 2 {
		if err := <-admitted; err != nil {
			t.Fatalf("an admitted call failed: %v", err)
		}
	}
	if _, err := svc.Get(context.Background(), 1); err != nil {
		t.Fatalf("a call after the others finished: %v", err)
	}
}

// callCount is gateway_upstream_calls_total for result on reg.
func callCount(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "gateway_upstream_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// guardCatalog puts svc behind guards, as the gateway does.
func guardCatalog(guards upstream.CatalogGuards, svc catalog.Service) catalog.Service {
	return catalog.MakeEndpoints(svc).Use(guards.Middleware()).Service()
}
