package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/platform/redisx/redistest"
)

func redisAddr(t testing.TB) string { return redistest.RedisAddr(t) }

// testConfig is a config on addr under a namespace of the test's own, so
// tests sharing one Redis never see each other's keys or messages.
func testConfig(t testing.TB, addr string) Config {
	cfg := DefaultConfig()
	cfg.Redis.Addr = addr
	cfg.Namespace = redistest.Namespace()
	cfg.Timeout = 200 * time.Millisecond // generous: loopback under a loaded test run
	cfg.RetryEvery = 20 * time.Millisecond
	cfg.BreakerOpen = 100 * time.Millisecond
	return cfg
}

// pod is one replica of catalog-svc: the service over its own cache over
// the shared store.
type pod struct {
	*Cache
	svc catalog.Service
}

// newPod starts a pod and waits until it listens for invalidations.
func newPod(t testing.TB, cfg Config, store catalog.Store) pod {
	return newPodVersion(t, cfg, ShapeVersion, store)
}

func newPodVersion(t testing.TB, cfg Config, version string, store catalog.Store) pod {
	t.Helper()
	p := newUnreachablePod(t, cfg, version, store)
	if p.remote != nil {
		// The first subscription empties the L1, which moves the epoch.
		eventually(t, "pod subscribed", func() bool { return p.fence.Current() > 0 })
	}
	return p
}

// newUnreachablePod starts a pod without waiting for Redis.
func newUnreachablePod(t testing.TB, cfg Config, version string, store catalog.Store) pod {
	t.Helper()
	c, err := newCache(cfg, version, logging.Discard(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return pod{Cache: c, svc: catalog.New(c.Store(store), catalog.Options{}).Service()}
}

func counter(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

// describe tells what a pod has done, for a failing test's message: its
// epoch, pending invalidations and every non-zero counter.
func (p pod) describe() string {
	reg := prometheus.NewRegistry()
	reg.MustRegister(p.m.lookups, p.m.fills, p.m.errors, p.m.invalidations)
	mfs, err := reg.Gather()
	if err != nil {
		return err.Error()
	}
	parts := []string{fmt.Sprintf("epoch=%d pending=%d", p.fence.Current(), p.pending.count())}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			parts = append(parts, fmt.Sprintf("%s{%s}=%g", strings.TrimPrefix(mf.GetName(), "catalog_cache_"),
				strings.Join(labels, ","), m.GetCounter().GetValue()))
		}
	}
	return strings.Join(parts, " ")
}

// eventually polls cond for up to 5 s; tests wait on outcomes, never on
// a fixed time.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// memStore is an in-memory catalog that counts reads; gate, when set, holds
// every Get until closed.
type memStore struct {
	mu     sync.Mutex
	movies map[int64]contract.Movie
	nextID int64
	gets   atomic.Int64
	lists  atomic.Int64
	gate   chan struct{}
	inGet  chan struct{}
	// stale is what a lagging replica answers for reads not marked for
	// the primary.
	stale        map[int64]contract.Movie
	primaryLists atomic.Int64
}

// lag makes reads not marked for the primary see movie id named name.
func (s *memStore) lag(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.movies[id]
	m.Name = name
	s.stale[id] = m
}

func newMemStore(n int) *memStore {
	s := &memStore{movies: map[int64]contract.Movie{}, stale: map[int64]contract.Movie{}, nextID: int64(n) + 1}
	for id := int64(1); id <= int64(n); id++ {
		s.movies[id] = contract.Movie{ID: id, Name: "Movie " + string(rune('A'+id%26)), Director: "D",
			Popularity: 50, IMDBScore: 5, Genre: []contract.Genre{{Name: "Drama"}}, Version: 1}
	}
	return s
}

func (s *memStore) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	s.lists.Add(1)
	if readpref.Primary(ctx) {
		s.primaryLists.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := contract.Page{Movies: []contract.Movie{}}
	for _, m := range s.movies {
		p.Movies = append(p.Movies, cloneMovie(m))
	}
	slices.SortFunc(p.Movies, func(a, b contract.Movie) int { return int(a.ID - b.ID) })
	total := int64(len(p.Movies))
	p.Total = &total
	return p, nil
}

func (s *memStore) Get(ctx context.Context, id int64) (contract.Movie, error) {
	s.gets.Add(1)
	if s.gate != nil {
		s.inGet <- struct{}{}
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.stale[id]; ok && !readpref.Primary(ctx) {
		return cloneMovie(m), nil
	}
	m, ok := s.movies[id]
	if !ok {
		return contract.Movie{}, catalog.ErrNotFound
	}
	return cloneMovie(m), nil
}

func (s *memStore) Create(_ context.Context, m contract.Movie, _ string) (contract.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID, m.Version = s.nextID, 1
	s.nextID++
	s.movies[m.ID] = m
	return m, nil
}

// CreateOnce ignores the key: the cache's tests care about what a create
// invalidates, which a replay shares.
func (s *memStore) CreateOnce(ctx context.Context, m contract.Movie, actor string, _ catalog.Idempotency) (contract.Movie, error) {
	return s.Create(ctx, m, actor)
}

func (s *memStore) Update(_ context.Context, id int64, ifMatch contract.IfMatch, change func(contract.Movie) (contract.Movie, error), _ string) (contract.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.movies[id]
	if !ok {
		return contract.Movie{}, catalog.ErrNotFound
	}
	if !ifMatch.Matches(cur.ETag()) {
		return contract.Movie{}, catalog.ErrPreconditionFailed
	}
	m, err := change(cloneMovie(cur))
	if err != nil {
		return contract.Movie{}, err
	}
	m.ID, m.Version = id, cur.Version+1
	s.movies[id] = m
	return m, nil
}

func (s *memStore) Delete(_ context.Context, id int64, ifMatch contract.IfMatch, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.movies[id]
	if !ok {
		return catalog.ErrNotFound
	}
	if !ifMatch.Matches(cur.ETag()) {
		return catalog.ErrPreconditionFailed
	}
	delete(s.movies, id)
	return nil
}

func (s *memStore) Import(_ context.Context, batch []contract.Movie, _ string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range batch {
		m.ID, m.Version = s.nextID, 1
		s.nextID++
		s.movies[m.ID] = m
	}
	return len(batch), nil
}

func (s *memStore) Changes(context.Context, int64, int) (contract.ChangePage, error) {
	return contract.ChangePage{}, nil
}

func (s *memStore) Count(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.movies)), nil
}

func (s *memStore) Ping(context.Context) error { return nil }

// named is a valid write of a movie called name: the service validates
// writes before the cached store sees them.
func named(name string) contract.MovieWrite {
	popularity, score := 50.0, 5.0
	return contract.MovieWrite{Name: &name, Popularity: &popularity, IMDBScore: &score}
}

// proxy is a TCP proxy on loopback in front of Redis that can delay every
// chunk it forwards, or cut every connection and refuse new ones.
type proxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64 // nanoseconds
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(time.Duration(p.delay.Load()))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() { p.down.Store(false) }

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The feed's leases and retention are the store's (store's tests).
func (s *memStore) AcquireFeedLease(context.Context, string, contract.FeedLeaseRequest) (contract.FeedLease, error) {
	return contract.FeedLease{}, errors.ErrUnsupported
}
func (s *memStore) ReleaseFeedLease(context.Context, string, string) error {
	return errors.ErrUnsupported
}
func (s *memStore) TrimFeed(context.Context, catalog.FeedRetention) (catalog.FeedTrim, error) {
	return catalog.FeedTrim{}, errors.ErrUnsupported
}
