package app_test

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	catalogapp "github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/promtest"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
	"github.com/moviesplatform/search-svc/app"
)

// catalogPod is one catalog-svc on the replicated pair, served over HTTP.
type catalogPod struct {
	srv *httptest.Server
	reg *prometheus.Registry
}

// startCatalogPod starts catalog-svc on the pair's primary, reading from
// replicaDSNs (none: every read on the primary). Replicas are checked once
// at start (the interval is an hour), so a paused replica stays in rotation.
func startCatalogPod(t *testing.T, keyDir, primaryDSN string, replicaDSNs ...string) catalogPod {
	t.Helper()
	cfg := catalogapp.Config{DBDriver: "mysql", DBDSN: primaryDSN, ReplicaDSNs: replicaDSNs,
		ReplicaMaxLag: 2 * time.Second, ReplicaCheckInterval: time.Hour, Migrate: true,
		Addr: "127.0.0.1:0", Identity: servicetoken.Config{TrustedKeys: keyDir}}
	reg := prometheus.NewRegistry()
	a, err := catalogapp.New(context.Background(), cfg, logging.Discard(), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return catalogPod{srv: srv, reg: reg}
}

// TestLaggingReplicaCausesNoReindex runs the indexer against catalog pods
// on the real primary + replica pair. It follows a pod reading the primary
// until its cursor is past what the (paused) replica holds, then its calls
// move to a pod reading that replica: the feed's head there is behind the
// cursor. The indexer confirms with the primary through that pod
// (?primary=true), does not reindex, and converges once replication
// resumes.
func TestLaggingReplicaCausesNoReindex(t *testing.T) {
	pair := sqltest.ReplicatedMySQL(t)
	keyDir, keys := servicetokentest.Files(t, servicetoken.Gateway, servicetoken.Search)
	onPrimary := startCatalogPod(t, keyDir, pair.PrimaryDSN)
	onReplica := startCatalogPod(t, keyDir, pair.PrimaryDSN, pair.ReplicaDSN)

	// The indexer's calls go where target says, as a Service's would after
	// a rollout moved them to another pod.
	var target atomic.Pointer[url.URL]
	route := func(p catalogPod) {
		u, err := url.Parse(p.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		target.Store(u)
	}
	route(onPrimary)
	front := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target.Load()) }})
	defer front.Close()

	endpoints, err := catalog.NewHTTPClient(onPrimary.srv.URL, keys.ClientAs(catalogtest.CallerOf, catalog.ServiceName, nil))
	if err != nil {
		t.Fatal(err)
	}
	gateway := endpoints.Service()
	admin := catalog.WithActor(context.Background(), "admin")
	create := func(name string) contract.Movie {
		t.Helper()
		m, err := gateway.Create(admin, contract.MovieWrite{Name: &name, Director: new("Someone"),
			Popularity: new(50.0), IMDBScore: new(5.0), Genre: &[]contract.Genre{{Name: "Drama"}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	feedHead := func() int64 {
		t.Helper()
		p, err := gateway.Changes(admin, 0, 1) // the pod without replicas: the primary's head
		if err != nil {
			t.Fatal(err)
		}
		return p.Head
	}

	first := create("Before The Pause")
	create("Also Before")
	pair.WaitReplicated(t)
	pair.Exec(t, pair.Replica, "STOP SLAVE SQL_THREAD")
	create("During The Pause")
	create("Also During")
	if err := gateway.Delete(admin, first.ID); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := prometheus.NewRegistry()
	cfg := app.Config{Engine: app.EngineMemory, CatalogURL: front.URL, PollInterval: 5 * time.Millisecond,
		Identity: servicetoken.Config{KeyFile: filepath.Join(keyDir, servicetoken.Search+".key")}}
	s, err := app.New(ctx, cfg, logging.Discard(), reg, nil, app.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	sqltest.Eventually(t, "the indexer reaches the primary's head", func() bool { return s.Indexer.Status().Cursor == feedHead() })

	// The replica holds 2 changes; the index's cursor is at 5.
	route(onReplica)
	pinned := promtest.Of(t, onReplica.reg, "sqldb_reads_total", map[string]string{"route": sqldb.RoutePrimaryPinned}).Value
	confirmations := func(result string) float64 {
		return promtest.Of(t, reg, "search_indexer_head_confirmations_total", map[string]string{"result": result}).Value
	}
	sqltest.Eventually(t, "the indexer confirms the replica's head on the primary, more than once", func() bool {
		return confirmations("replica_lag") >= 3
	})
	if got := promtest.Of(t, onReplica.reg, "sqldb_reads_total", map[string]string{"route": sqldb.RoutePrimaryPinned}).Value; got <= pinned {
		t.Error("the confirmations did not read the primary through the replica's pod")
	}
	reindexes := func() float64 {
		var n float64
		for _, s := range promtest.Series(t, reg, "search_indexer_reindexes_total") {
			n += s.Value
		}
		return n
	}
	if reindexes() != 0 || s.Indexer.Status().Reindexing || confirmations("restored") != 0 {
		t.Fatalf("a lagging replica started a reindex: %v reindexes, status %+v", reindexes(), s.Indexer.Status())
	}

	// Writes go on; once the replica applies them the index has them all.
	create("After The Pause")
	pair.Exec(t, pair.Replica, "START SLAVE SQL_THREAD")
	pair.WaitReplicated(t)
	sqltest.Eventually(t, "the index converges through the caught-up replica", func() bool {
		return s.Indexer.Status().Cursor == feedHead()
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n, err := s.Engine.Count(context.Background()); err != nil || n != 4 {
		t.Errorf("the index holds %d movies (%v), want the 4 not deleted", n, err)
	}
	res, err := s.Engine.Search(context.Background(), contract.SearchQuery{Text: "Before The Pause", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.ID == first.ID {
			t.Errorf("the deleted movie %d is still searchable", first.ID)
		}
	}
	if reindexes() != 0 {
		t.Errorf("%v reindexes, want none", reindexes())
	}
}
