package catalog

import (
	"context"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// ReadYourWrites returns the middleware that lets a client read its own
// writes while reads go to replicas that lag behind the primary.
//
// The client is the actor (WithActor: the gateway forwards the username as
// X-Movies-Actor). After an actor's write, successful or not (a write whose
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
// writers lives in this process. With several catalog-svc pods, the same
// actor's next read may land on a pod that did not see the write; route
// gateway → catalog by X-Movies-Actor (consistent hashing), or share the
// writers between pods, to keep the guarantee there. Writes are rare
// admin edits, so the set stays small and the primary's extra load with it.
func ReadYourWrites(writers *sqldb.RecentWriters) Middleware {
	return func(next Service) Service { return readYourWrites{next: next, writers: writers} }
}

type readYourWrites struct {
	next    Service
	writers *sqldb.RecentWriters
}

// route marks ctx for the primary when its actor wrote within the window.
func (s readYourWrites) route(ctx context.Context) context.Context {
	if s.writers.Recent(Actor(ctx)) {
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
	defer s.writers.Wrote(Actor(ctx))
	return s.next.Create(ctx, in)
}

func (s readYourWrites) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	defer s.writers.Wrote(Actor(ctx))
	return s.next.Replace(ctx, id, in)
}

func (s readYourWrites) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	defer s.writers.Wrote(Actor(ctx))
	return s.next.Patch(ctx, id, p)
}

func (s readYourWrites) Delete(ctx context.Context, id int64) error {
	defer s.writers.Wrote(Actor(ctx))
	return s.next.Delete(ctx, id)
}
