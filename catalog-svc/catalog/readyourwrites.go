package catalog

import (
	"context"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// RecentWriters remembers which actors wrote within a window: LocalWriters
// in one process, cache.Cache.RecentWriters across pods.
type RecentWriters interface {
	// Wrote records that who has just written, or tried to.
	Wrote(ctx context.Context, who string)
	// Recent tells whether who wrote within the window. When it cannot
	// tell, it answers true: a needless read of the primary is safe.
	Recent(ctx context.Context, who string) bool
}

// LocalWriters keeps the recent writers in w, in this process only: enough
// for one pod, or with the gateway routing each actor to the same pod.
func LocalWriters(w *sqldb.RecentWriters) RecentWriters { return localWriters{w} }

type localWriters struct{ w *sqldb.RecentWriters }

func (l localWriters) Wrote(_ context.Context, who string)       { l.w.Wrote(who) }
func (l localWriters) Recent(_ context.Context, who string) bool { return l.w.Recent(who) }

// ReadYourWrites returns the middleware that lets a client read its own
// writes while reads go to replicas that lag behind the primary.
//
// The client is the actor (WithActor: the gateway forwards an admin's
// username as X-Movies-Actor; only admins write, so other users' reads
// carry none). After an actor's write, successful or not (a write whose
// answer was lost may have committed), that actor's reads are marked
// sqldb.WithPrimaryReads for writers' window, so they go to the primary.
// The window is longer than the replicas' staleness bound
// (sqldb.Cluster.MaxStaleness: a replica lagging more leaves rotation), so
// when it ends every replica still serving has the write. Everyone else
// reads replicas and may see the old value for at most that bound.
//
// Put it outside any cache: a read-through cache must see the mark and
// bypass itself, since an entry filled from a replica may predate the write.
//
// With several catalog-svc pods the same actor's next read may land on a
// pod that did not see the write, so writers must be shared between them
// (cache.Cache.RecentWriters, through Redis) for the guarantee to hold.
// Writes are rare admin edits, so the set stays small and the primary's
// extra load with it.
func ReadYourWrites(writers RecentWriters) Middleware {
	return func(next Service) Service { return readYourWrites{next: next, writers: writers} }
}

type readYourWrites struct {
	next    Service
	writers RecentWriters
}

// route marks ctx for the primary when its actor wrote within the window.
func (s readYourWrites) route(ctx context.Context) context.Context {
	if s.writers.Recent(ctx, Actor(ctx)) {
		return sqldb.WithPrimaryReads(ctx)
	}
	return ctx
}

func (s readYourWrites) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return s.next.List(s.route(ctx), q)
}

func (s readYourWrites) Get(ctx context.Context, id int64) (contract.Movie, error) {
	return s.next.Get(s.route(ctx), id)
}

func (s readYourWrites) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	return s.next.Changes(s.route(ctx), after, limit)
}

func (s readYourWrites) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	defer s.writers.Wrote(ctx, Actor(ctx))
	return s.next.Create(ctx, in)
}

func (s readYourWrites) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	defer s.writers.Wrote(ctx, Actor(ctx))
	return s.next.Replace(ctx, id, in)
}

func (s readYourWrites) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	defer s.writers.Wrote(ctx, Actor(ctx))
	return s.next.Patch(ctx, id, p)
}

func (s readYourWrites) Delete(ctx context.Context, id int64) error {
	defer s.writers.Wrote(ctx, Actor(ctx))
	return s.next.Delete(ctx, id)
}
