package indexer

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	catalogapp "github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
	"github.com/moviesplatform/search-svc/internal/feedtest"
)

// catalogLeases is the real catalog's lease (its service on a SQLite
// store); calls by a holder in down fail as an unreachable catalog would.
type catalogLeases struct {
	Leases
	db   *sql.DB
	mu   sync.Mutex
	down map[string]bool
}

func newCatalogLeases(t *testing.T) *catalogLeases {
	t.Helper()
	dsn := sqltest.SQLite(t)
	a, err := catalogapp.New(context.Background(), catalogapp.Config{DBDriver: string(sqldb.SQLite), DBDSN: dsn, Migrate: true},
		logging.Discard(), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	db, err := sqldb.Open(context.Background(), sqldb.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &catalogLeases{Leases: a.Service, db: db, down: map[string]bool{}}
}

func (c *catalogLeases) setDown(holder string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down[holder] = true
}

func (c *catalogLeases) AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error) {
	c.mu.Lock()
	down := c.down[r.Holder]
	c.mu.Unlock()
	if down {
		return contract.FeedLease{}, errors.New("catalog unreachable")
	}
	return c.Leases.AcquireFeedLease(ctx, name, r)
}

// position is what the catalog recorded for the consumer.
func (c *catalogLeases) position(t *testing.T) int64 {
	var p int64
	if err := c.db.QueryRow(`SELECT position FROM feed_consumers WHERE name = 'search:movies'`).Scan(&p); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return p
}

// countingFeed counts a replica's feed reads: a standby makes none.
type countingFeed struct {
	Feed
	calls atomic.Int64
}

func (c *countingFeed) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	c.calls.Add(1)
	return c.Feed.Changes(ctx, after, limit)
}

type replica struct {
	feed   *countingFeed
	leader *Leader
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, holder string, f *feedtest.Feed, ix func(Feed) *Indexer, leases Leases) *replica {
	t.Helper()
	r := &replica{feed: &countingFeed{Feed: f}, done: make(chan struct{})}
	r.leader = NewLeader(ix(r.feed), leases, logging.Discard(), prometheus.NewRegistry(),
		LeaseOptions{Consumer: "search:movies", Holder: holder, TTL: time.Second})
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	go func() { defer close(r.done); _ = r.leader.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOneIndexerWritesAndAnotherTakesOver(t *testing.T) {
	f := &feedtest.Feed{}
	f.Upsert(movies(1, 50)...)
	eng := openEngine(t, t.TempDir()) // one index shared by every replica, as Meilisearch is
	ix := func(feed Feed) *Indexer {
		i, _ := newIndexer(feed, eng, Options{PollInterval: 5 * time.Millisecond})
		return i
	}
	leases := newCatalogLeases(t)
	cursorIs := func(want int64) func() bool {
		return func() bool { c, err := eng.Cursor(ctx); return err == nil && c == want }
	}

	a := startReplica(t, "a", f, ix, leases)
	eventually(t, "a leads and indexes the feed", func() bool { return a.leader.Status().Leader && cursorIs(50)() })
	b := startReplica(t, "b", f, ix, leases)
	f.Upsert(movies(51, 60)...)
	f.Delete(3, 4)
	eventually(t, "the index follows new changes", cursorIs(62))
	eventually(t, "a records its position with its renewal", func() bool { return leases.position(t) == 62 })
	if b.leader.Status().Leader || b.feed.calls.Load() != 0 {
		t.Fatalf("standby b leads (%v) or read the feed (%d calls)", b.leader.Status().Leader, b.feed.calls.Load())
	}

	// a stops (a rollout): it releases the lease and b takes over at once.
	a.stop()
	if a.leader.Status().Leader {
		t.Fatal("a still leads after stopping")
	}
	f.Upsert(movies(61, 70)...)
	f.Delete(10)
	eventually(t, "b takes over and indexes what came after", func() bool { return b.leader.Status().Leader && cursorIs(73)() })
	assertIndexHolds(t, eng, wantState(t, f))

	// b loses the catalog: it stops writing before its lease can run out,
	// and c takes over once the lease has expired.
	leases.setDown("b")
	c := startReplica(t, "c", f, ix, leases)
	eventually(t, "b stands by when it cannot renew", func() bool { return !b.leader.Status().Leader })
	calls := b.feed.calls.Load()
	f.Upsert(movies(71, 80)...)
	eventually(t, "c takes over after the expiry", func() bool { return c.leader.Status().Leader && cursorIs(83)() })
	if got := b.feed.calls.Load(); got != calls {
		t.Fatalf("b read the feed %d more times on standby", got-calls)
	}
	assertIndexHolds(t, eng, wantState(t, f))
}

// movies are movies ids from..to.
func movies(from, to int64) []contract.Movie {
	var out []contract.Movie
	for id := from; id <= to; id++ {
		out = append(out, contract.Movie{ID: id, Name: "Movie " + strconv.FormatInt(id, 10), Director: "D", Genre: []contract.Genre{}})
	}
	return out
}
