package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
)

func lease(holder string, ttl time.Duration, pos ...int64) contract.FeedLeaseRequest {
	r := contract.FeedLeaseRequest{Holder: holder, TTLMillis: ttl.Milliseconds()}
	if len(pos) > 0 {
		r.Position = &pos[0]
	}
	return r
}

// clock is a settable store clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestFeedLeaseExclusiveExpiresAndReleases(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		store.SetClock(s, c.now)

		got, err := s.AcquireFeedLease(ctx, "search:movies", lease("a", 15*time.Second, 7))
		if err != nil {
			t.Fatal(err)
		}
		if got.Holder != "a" || got.Position != 7 || !got.ExpiresAt.Equal(c.t.Add(15*time.Second)) {
			t.Fatalf("first acquire = %+v", got)
		}
		// b is refused while a's lease runs, and its position is not recorded.
		if _, err := s.AcquireFeedLease(ctx, "search:movies", lease("b", 15*time.Second, 99)); !errors.Is(err, contract.ErrFeedLeaseHeld) {
			t.Fatalf("b while a holds: %v, want ErrFeedLeaseHeld", err)
		}
		// Another consumer is another lease.
		if _, err := s.AcquireFeedLease(ctx, "search:other", lease("b", 15*time.Second)); err != nil {
			t.Fatal(err)
		}
		// a renews, keeping its position when it sends none.
		c.t = c.t.Add(10 * time.Second)
		if got, err = s.AcquireFeedLease(ctx, "search:movies", lease("a", 15*time.Second)); err != nil || got.Position != 7 {
			t.Fatalf("renew = %+v, %v", got, err)
		}
		// Past the expiry b takes over, and the position stays a's.
		c.t = c.t.Add(16 * time.Second)
		if got, err = s.AcquireFeedLease(ctx, "search:movies", lease("b", 15*time.Second)); err != nil || got.Holder != "b" || got.Position != 7 {
			t.Fatalf("takeover = %+v, %v", got, err)
		}
		// a cannot renew, record a position, or release b's lease.
		if _, err := s.AcquireFeedLease(ctx, "search:movies", lease("a", 15*time.Second, 100)); !errors.Is(err, contract.ErrFeedLeaseHeld) {
			t.Fatalf("a after takeover: %v", err)
		}
		if err := s.ReleaseFeedLease(ctx, "search:movies", "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcquireFeedLease(ctx, "search:movies", lease("a", 15*time.Second)); !errors.Is(err, contract.ErrFeedLeaseHeld) {
			t.Fatalf("a after releasing a lease it does not hold: %v", err)
		}
		// b releases: a takes it at once, before the expiry.
		if err := s.ReleaseFeedLease(ctx, "search:movies", "b"); err != nil {
			t.Fatal(err)
		}
		if got, err = s.AcquireFeedLease(ctx, "search:movies", lease("a", 15*time.Second, 8)); err != nil || got.Position != 8 {
			t.Fatalf("after release = %+v, %v", got, err)
		}
	})
}

// feedSeqs returns the feed's sequence numbers, and its head.
func feedSeqs(t *testing.T, s *store.SQL, after int64) ([]int64, int64) {
	t.Helper()
	p, err := s.Changes(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, c := range p.Changes {
		seqs = append(seqs, c.Seq)
	}
	return seqs, p.Head
}

func trimAll(t *testing.T, s *store.SQL, r catalog.FeedRetention) catalog.FeedTrim {
	t.Helper()
	var total catalog.FeedTrim
	for {
		got, err := s.TrimFeed(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		total.Deleted += got.Deleted
		total.Through, total.Consumers, total.MinPosition = got.Through, got.Consumers, got.MinPosition
		if !got.More {
			return total
		}
	}
}

func TestTrimFeedRespectsConsumersAndMaxAge(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		store.SetClock(s, c.now)
		// seq 1..3: three movies; 4..6: each updated; 7: the second deleted;
		// 8: the third updated again.
		a := mustCreate(t, s, movie("A", "D", 1, 1))
		b := mustCreate(t, s, movie("B", "D", 1, 1))
		m3 := mustCreate(t, s, movie("C", "D", 1, 1))
		for _, m := range []contract.Movie{a, b, m3} {
			if _, err := s.Update(ctx, m.ID, contract.IfMatch{}, func(cur contract.Movie) (contract.Movie, error) {
				cur.Popularity++
				return cur, nil
			}, "tester"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, b.ID, contract.IfMatch{}, "tester"); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Hour)
		if _, err := s.Update(ctx, m3.ID, contract.IfMatch{}, func(cur contract.Movie) (contract.Movie, error) { return cur, nil }, "tester"); err != nil {
			t.Fatal(err)
		}
		all, head := feedSeqs(t, s, 0)
		if len(all) != 8 || head != 8 {
			t.Fatalf("feed = %v head %d", all, head)
		}
		r := catalog.FeedRetention{MaxAge: 7 * 24 * time.Hour, Batch: 2}

		// No consumer registered and nothing old: nothing goes.
		if got := trimAll(t, s, r); got.Deleted != 0 {
			t.Fatalf("trimmed %d with no consumer", got.Deleted)
		}
		// Two consumers: the lower position bounds the trim.
		if _, err := s.AcquireFeedLease(ctx, "one", lease("x", time.Minute, 8)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcquireFeedLease(ctx, "two", lease("y", time.Minute, 5)); err != nil {
			t.Fatal(err)
		}
		got := trimAll(t, s, r)
		if got.Consumers != 2 || got.MinPosition != 5 || got.Through != 5 {
			t.Fatalf("trim = %+v", got)
		}
		// Up to 5: 1 and 2 are superseded by 4 and 5; 3 is C's latest so far.
		if seqs, _ := feedSeqs(t, s, 0); !equalSeqs(seqs, []int64{3, 4, 5, 6, 7, 8}) {
			t.Fatalf("after trim to 5: %v", seqs)
		}
		// Both at the head: everything superseded goes but 6, which only the
		// newest row supersedes (trimmed once a later row comes); the
		// tombstone stays, and the head does not move.
		if _, err := s.AcquireFeedLease(ctx, "two", lease("y", time.Minute, 8)); err != nil {
			t.Fatal(err)
		}
		trimAll(t, s, r)
		seqs, head := feedSeqs(t, s, 0)
		if !equalSeqs(seqs, []int64{4, 6, 7, 8}) || head != 8 {
			t.Fatalf("after trim to the head: %v head %d", seqs, head)
		}
		// What is left still rebuilds the catalog: A, B deleted, C as last written.
		p, _ := s.Changes(ctx, 0, 100)
		if p.Changes[0].MovieID != a.ID || p.Changes[2].Op != contract.OpDelete || p.Changes[2].MovieID != b.ID || p.Changes[3].MovieID != m3.ID {
			t.Fatalf("left: %+v", p.Changes)
		}
	})
}

func TestTrimFeedMaxAgeOutrunsALaggingConsumer(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		store.SetClock(s, c.now)
		m := mustCreate(t, s, movie("A", "D", 1, 1)) // 1
		touch := func() {
			if _, err := s.Update(ctx, m.ID, contract.IfMatch{}, func(cur contract.Movie) (contract.Movie, error) { return cur, nil }, "tester"); err != nil {
				t.Fatal(err)
			}
		}
		touch() // 2
		c.t = c.t.Add(8 * 24 * time.Hour)
		touch() // 3, recent
		touch() // 4, the head
		if _, err := s.AcquireFeedLease(ctx, "lagging", lease("x", time.Minute, 0)); err != nil {
			t.Fatal(err)
		}
		got := trimAll(t, s, catalog.FeedRetention{MaxAge: 7 * 24 * time.Hour})
		if got.Through != 2 || got.MinPosition != 0 {
			t.Fatalf("trim = %+v", got)
		}
		if seqs, _ := feedSeqs(t, s, 0); !equalSeqs(seqs, []int64{2, 3, 4}) {
			t.Fatalf("after age trim: %v", seqs)
		}
		// Without a maximum age the lagging consumer holds everything else.
		if got := trimAll(t, s, catalog.FeedRetention{}); got.Deleted != 0 {
			t.Fatalf("trimmed %d past a lagging consumer", got.Deleted)
		}
	})
}

func equalSeqs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
