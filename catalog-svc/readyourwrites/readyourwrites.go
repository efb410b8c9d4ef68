// Package readyourwrites lets a client read its own writes while reads go
// to replicas that lag behind the primary.
//
// The client is the actor (catalog.WithActor: the gateway forwards an
// admin's username as X-Movies-Actor; only admins write, so other users'
// reads carry none). After an actor's write, successful or not (a write
// whose answer was lost may have committed), that actor's reads are marked
// readpref.WithPrimary for the writers' window, so they go to the
// primary. The window is longer than the replicas' staleness bound
// (sqldb.Cluster.MaxStaleness: a replica lagging more leaves rotation), so
// when it ends every replica still serving has the write. Everyone else
// reads replicas and may see the old value for at most that bound.
//
// It lives outside the catalog package so that the catalog's clients (the
// gateway, search-svc) link no SQL driver.
package readyourwrites

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/platform/sqldb"
)

// Writers remembers which actors wrote within a window: Local in one
// process, cache.Cache.RecentWriters across pods.
type Writers interface {
	// Wrote records that who has just written, or tried to.
	Wrote(ctx context.Context, who string)
	// Recent tells whether who wrote within the window. When it cannot
	// tell, it answers true: a needless read of the primary is safe.
	Recent(ctx context.Context, who string) bool
}

// Local keeps the recent writers in w, in this process only: enough for one
// pod, or with the gateway routing each actor to the same pod.
func Local(w *sqldb.RecentWriters) Writers { return local{w} }

type local struct{ w *sqldb.RecentWriters }

func (l local) Wrote(_ context.Context, who string)       { l.w.Wrote(who) }
func (l local) Recent(_ context.Context, who string) bool { return l.w.Recent(who) }

// Middleware records every write's actor in writers and sends the reads of
// a recent writer to the primary.
//
// Put it outside any cache: a read-through cache must see the mark and
// bypass itself, since an entry filled from a replica may predate the write.
// With several catalog-svc pods the same actor's next read may land on a
// pod that did not see the write, so writers must be shared between them
// (cache.Cache.RecentWriters, through Redis) for the guarantee to hold.
// Writes are rare admin edits, so the set stays small and the primary's
// extra load with it.
func Middleware(writers Writers) endpointmw.Middleware {
	return func(m endpointmw.Method, next endpoint.Endpoint) endpoint.Endpoint {
		if m.Kind == endpointmw.Write {
			return func(ctx context.Context, req any) (any, error) {
				defer writers.Wrote(ctx, catalog.Actor(ctx))
				return next(ctx, req)
			}
		}
		return func(ctx context.Context, req any) (any, error) {
			if writers.Recent(ctx, catalog.Actor(ctx)) {
				ctx = readpref.WithPrimary(ctx)
			}
			return next(ctx, req)
		}
	}
}
