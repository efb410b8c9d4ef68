// Package feedtest is an in-memory catalog change feed for tests: it behaves
// like the catalog's feed (ordered, paged, tombstones for deletes) and can be
// told to fail, as a catalog that is restarting does.
package feedtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/readpref"
)

// Feed is an in-memory change feed. The zero value is empty and usable.
type Feed struct {
	mu       sync.Mutex
	changes  []contract.Change
	failures int
	calls    int
	// replicaAt > 0 is the head a lagging replica serves reads that do not
	// ask for the primary (readpref).
	replicaAt    int64
	primaryCalls int
	Now          func() time.Time
}

// ReplicaAt makes reads that do not ask for the primary (readpref) see the
// feed as it was at seq, as from a replica whose replication stopped there;
// 0 lets the replica catch up.
func (f *Feed) ReplicaAt(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replicaAt = seq
}

// PrimaryCalls is how many calls asked for the primary.
func (f *Feed) PrimaryCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.primaryCalls
}

// Upsert appends an upsert of m.
func (f *Feed) Upsert(ms ...contract.Movie) {
	for _, m := range ms {
		f.add(contract.Change{MovieID: m.ID, Op: contract.OpUpsert, Movie: &m})
	}
}

// Delete appends a tombstone for id.
func (f *Feed) Delete(ids ...int64) {
	for _, id := range ids {
		f.add(contract.Change{MovieID: id, Op: contract.OpDelete})
	}
}

// Truncate forgets every change after seq, as a catalog restored from an old
// backup would.
func (f *Feed) Truncate(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = f.changes[:seq]
}

func (f *Feed) add(c contract.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Seq = int64(len(f.changes) + 1)
	c.Actor = "admin"
	c.At = time.Now()
	if f.Now != nil {
		c.At = f.Now()
	}
	f.changes = append(f.changes, c)
}

// FailNext makes the next n calls fail as an unreachable catalog would.
func (f *Feed) FailNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = n
}

// Calls is how many times Changes was called.
func (f *Feed) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Head is the newest sequence number.
func (f *Feed) Head() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.changes))
}

// Changes implements the catalog's feed.
func (f *Feed) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failures > 0 {
		f.failures--
		return contract.ChangePage{}, apierr.ErrUnavailable
	}
	if err := ctx.Err(); err != nil {
		return contract.ChangePage{}, err
	}
	head := int64(len(f.changes))
	if readpref.Primary(ctx) {
		f.primaryCalls++
	} else if f.replicaAt > 0 {
		head = min(head, f.replicaAt)
	}
	page := contract.ChangePage{Last: after, Head: head, Changes: []contract.Change{}}
	for i := max(after, 0); i < head && len(page.Changes) < limit; i++ {
		page.Changes = append(page.Changes, f.changes[i])
		page.Last = f.changes[i].Seq
	}
	return page, nil
}

// WaitFor polls cond until it holds; the deadline only bounds a broken test,
// it is not a speed assertion.
func WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
