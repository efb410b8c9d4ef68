package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
)

func ifMatch(t *testing.T, raw string) contract.IfMatch {
	t.Helper()
	m, err := contract.ParseIfMatch([]string{raw})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func rename(name string) func(contract.Movie) (contract.Movie, error) {
	return func(cur contract.Movie) (contract.Movie, error) { cur.Name = name; return cur, nil }
}

// TestConditionalWrites: every write raises the version; If-Match is
// compared with the version the write replaces, and a mismatch changes
// nothing (no row, no feed entry).
func TestConditionalWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		m := mustCreate(t, s, movie("Alien", "Ridley Scott", 90, 8.5))
		if m.Version != 1 {
			t.Fatalf("created at version %d", m.Version)
		}
		v1 := m.ETag()
		m2, err := s.Update(ctx, m.ID, ifMatch(t, v1), rename("Alien 2"), "a")
		if err != nil || m2.Version != 2 {
			t.Fatalf("update at the current version: %+v, %v", m2, err)
		}
		for _, stale := range []string{v1, `W/` + m2.ETag(), `"nope"`} {
			if _, err := s.Update(ctx, m.ID, ifMatch(t, stale), rename("lost"), "b"); !errors.Is(err, catalog.ErrPreconditionFailed) {
				t.Fatalf("If-Match %s: %v, want precondition failed", stale, err)
			}
			if err := s.Delete(ctx, m.ID, ifMatch(t, stale), "b"); !errors.Is(err, catalog.ErrPreconditionFailed) {
				t.Fatalf("delete with If-Match %s: %v, want precondition failed", stale, err)
			}
		}
		if got, err := s.Get(ctx, m.ID); err != nil || got.Name != "Alien 2" || got.Version != 2 {
			t.Fatalf("after refused writes: %+v, %v", got, err)
		}
		if n := len(changes(t, s)); n != 2 {
			t.Fatalf("%d feed rows, want 2: a refused write was recorded", n)
		}
		m3, err := s.Update(ctx, m.ID, ifMatch(t, `"x", `+m2.ETag()), rename("Aliens"), "a")
		if err != nil || m3.Version != 3 {
			t.Fatalf("update with the current tag in a list: %+v, %v", m3, err)
		}
		if _, err := s.Update(ctx, m.ID, ifMatch(t, "*"), rename("Aliens"), "a"); err != nil {
			t.Fatalf("If-Match *: %v", err)
		}
		if _, err := s.Update(ctx, 9999, ifMatch(t, "*"), rename("x"), "a"); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("unknown movie: %v", err)
		}
		if err := s.Delete(ctx, 9999, ifMatch(t, "*"), "a"); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("delete unknown movie: %v", err)
		}
		cur, _ := s.Get(ctx, m.ID)
		if err := s.Delete(ctx, m.ID, ifMatch(t, cur.ETag()), "a"); err != nil {
			t.Fatalf("delete at the current version: %v", err)
		}
	})
}

// TestConditionalWritesLoseNoUpdate: writers doing read-modify-write with
// If-Match and retrying on 412 lose nothing: each one's increment lands.
func TestConditionalWritesLoseNoUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		m := mustCreate(t, s, movie("Counter", "", 0, 0))
		const writers = 8
		race(t, writers, func() error {
			for {
				cur, err := s.Get(ctx, m.ID)
				if err != nil {
					return err
				}
				_, err = s.Update(ctx, m.ID, contract.IfMatch{Tags: []string{cur.ETag()}}, func(latest contract.Movie) (contract.Movie, error) {
					// Computed from what this writer read, as a client would.
					latest.Popularity = cur.Popularity + 1
					return latest, nil
				}, "w")
				if !errors.Is(err, catalog.ErrPreconditionFailed) {
					return err
				}
			}
		})
		got, err := s.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Popularity != writers || got.Version != writers+1 {
			t.Fatalf("counter %v at version %d, want %d at %d: an update was lost", got.Popularity, got.Version, writers, writers+1)
		}
	})
}

func idem(key string, body string) catalog.Idempotency {
	return catalog.Idempotency{Key: key, BodyHash: sha256.Sum256([]byte(body))}
}

// TestIdempotentCreates: a retry with the same actor, key and body gets the
// first answer and creates nothing; another body is refused; the key is
// the actor's own; it is forgotten after the retention.
func TestIdempotentCreates(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		first, err := s.CreateOnce(ctx, movie("Heat", "Michael Mann", 80, 8.3, "Crime"), "alice", idem("k1", "heat"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, first.ID, contract.IfMatch{}, rename("Heat (1995)"), "alice"); err != nil {
			t.Fatal(err)
		}
		again, err := s.CreateOnce(ctx, movie("Heat", "Michael Mann", 80, 8.3, "Crime"), "alice", idem("k1", "heat"))
		if err != nil {
			t.Fatal(err)
		}
		// The stored answer, not the movie as it is now.
		assertMovie(t, again, first)
		if _, err := s.CreateOnce(ctx, movie("Ronin", "", 70, 7.2), "alice", idem("k1", "ronin")); !errors.Is(err, catalog.ErrIdempotencyKeyReused) {
			t.Fatalf("key reused for another body: %v", err)
		}
		other, err := s.CreateOnce(ctx, movie("Heat", "Michael Mann", 80, 8.3, "Crime"), "bob", idem("k1", "heat"))
		if err != nil || other.ID == first.ID {
			t.Fatalf("another actor's key: %+v, %v", other, err)
		}
		if n, _ := s.Count(ctx); n != 2 {
			t.Fatalf("%d movies, want 2", n)
		}

		// A day later the key is trimmed: the same request makes a new movie.
		later := time.Now().UTC().Add(store.DefaultIdempotencyTTL + time.Minute)
		store.SetClock(s, func() time.Time { return later })
		fresh, err := s.CreateOnce(ctx, movie("Heat", "Michael Mann", 80, 8.3, "Crime"), "alice", idem("k1", "heat"))
		if err != nil || fresh.ID == first.ID {
			t.Fatalf("expired key: %+v, %v", fresh, err)
		}
		if n, _ := s.Count(ctx); n != 3 {
			t.Fatalf("%d movies, want 3", n)
		}
	})
}

// TestConcurrentIdempotentCreates: 8 concurrent creates with one key make
// exactly one movie, and all of them answer with it.
func TestConcurrentIdempotentCreates(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		const clients = 8
		ids := make(chan int64, clients)
		race(t, clients, func() error {
			m, err := s.CreateOnce(ctx, movie("Once", "", 1, 1, "Drama"), "alice", idem("same-key", "once"))
			ids <- m.ID
			return err
		})
		close(ids)
		seen := map[int64]bool{}
		for id := range ids {
			seen[id] = true
		}
		if n, _ := s.Count(ctx); n != 1 || len(seen) != 1 {
			t.Fatalf("%d movies, %d distinct answers; want 1 and 1", n, len(seen))
		}
		if n := len(changes(t, s)); n != 1 {
			t.Fatalf("%d feed rows, want 1", n)
		}
	})
}

// race runs fn n times at once and fails on any error.
func race(t *testing.T, n int, fn func() error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { errs <- fn() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
