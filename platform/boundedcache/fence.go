package boundedcache

import (
	"sync"
	"sync/atomic"
)

// Fence keeps a cache fill that began before an invalidation from being
// stored after it: the stale-fill invariant of every tier, enforced in one
// place. A fill reads Current before it fetches and stores through Keep
// with that value; an invalidation drops entries through Advance. Keep and
// Advance exclude each other, so no fill lands between an invalidation's
// new epoch and its drops. The zero Fence is ready for use.
type Fence struct {
	mu    sync.Mutex
	epoch atomic.Uint64
}

// Current is the epoch a fill starting now must pass to Keep.
func (f *Fence) Current() uint64 { return f.epoch.Load() }

// Keep runs store, and reports true, only if no Advance came since epoch
// was read.
func (f *Fence) Keep(epoch uint64, store func()) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.epoch.Load() != epoch {
		return false
	}
	store()
	return true
}

// Advance starts a new epoch, so fills begun before it are not kept, and
// runs drop (if not nil) before any later Keep.
func (f *Fence) Advance(drop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.epoch.Add(1)
	if drop != nil {
		drop()
	}
}
