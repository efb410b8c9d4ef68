package cache

import (
	"sync"
	"sync/atomic"
)

// maxPending bounds the movie invalidations kept for retry while Redis is
// away; past it the pod stops trusting Redis for details altogether (see
// Cache.distrustDetails).
const maxPending = 100_000

// retryBatch bounds the ids one retry sends to Redis.
const retryBatch = 1000

// pending remembers the invalidations Redis has not taken, whether in
// flight or failed: this pod skips Redis for them, so its clients read their
// own writes, and retries the failed ones until Redis takes them.
type pending struct {
	mu    sync.Mutex
	seq   uint64
	ids   map[int64]uint64 // id → seq of its newest failed invalidation
	lists uint64           // seq of the newest failed list invalidation; 0: none
	// n mirrors len(ids) plus one for lists, read without the lock on every
	// request.
	n atomic.Int64
}

func newPending() *pending { return &pending{ids: map[int64]uint64{}} }

// add records an invalidation of ids and the lists that Redis has not taken
// yet, and returns its sequence number for done. It reports false when some
// ids did not fit.
func (p *pending) add(ids []int64) (seq uint64, fit bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	p.lists = p.seq
	fit = true
	for _, id := range ids {
		if _, ok := p.ids[id]; !ok && len(p.ids) >= maxPending {
			fit = false
			continue
		}
		p.ids[id] = p.seq
	}
	p.n.Store(int64(len(p.ids)) + 1)
	return p.seq, fit
}

func (p *pending) count() int64 { return p.n.Load() }

func (p *pending) has(id int64) bool {
	if p.n.Load() == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.ids[id]
	return ok
}

func (p *pending) listsPending() bool {
	if p.n.Load() == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lists != 0
}

// batch returns up to retryBatch pending ids and the sequence number that
// done needs. Sending any batch announces a new list generation, which
// settles pending lists too.
func (p *pending) batch() (ids []int64, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.ids {
		if len(ids) == retryBatch {
			break
		}
		ids = append(ids, id)
	}
	return ids, p.seq
}

// done forgets ids and the lists as of seq (from add or batch): what was
// added again since stays.
func (p *pending) done(ids []int64, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.ids[id] <= seq {
			delete(p.ids, id)
		}
	}
	if p.lists <= seq {
		p.lists = 0
	}
	n := int64(len(p.ids))
	if p.lists != 0 {
		n++
	}
	p.n.Store(n)
}
