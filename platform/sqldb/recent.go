package sqldb

import (
	"sync"
	"time"
)

// RecentWriters remembers who wrote within the last window, so that their
// reads can go to the primary (readpref.WithPrimary) until every replica in
// rotation has their write. The window must exceed the replicas' staleness
// bound (Cluster.MaxStaleness). Memory stays small: entries expire, and
// the ones that did are dropped on the next write.
type RecentWriters struct {
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
}

// NewRecentWriters remembers each writer for window after its last write.
func NewRecentWriters(window time.Duration) *RecentWriters {
	return &RecentWriters{window: window, now: time.Now, until: map[string]time.Time{}}
}

// Window is how long a writer is remembered.
func (w *RecentWriters) Window() time.Duration { return w.window }

// Wrote records that who has just written (or tried to: a write whose
// answer was lost may have committed). An empty who is nobody to remember.
func (w *RecentWriters) Wrote(who string) {
	if who == "" {
		return
	}
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, t := range w.until {
		if !now.Before(t) {
			delete(w.until, k)
		}
	}
	w.until[who] = now.Add(w.window)
}

// Recent tells whether who wrote within the window.
func (w *RecentWriters) Recent(who string) bool {
	if who == "" {
		return false
	}
	w.mu.Lock()
	t, ok := w.until[who]
	w.mu.Unlock()
	return ok && w.now().Before(t)
}
