package cache

import (
	"context"

	"github.com/moviesplatform/catalog-svc/readyourwrites"
	"github.com/moviesplatform/platform/sqldb"
)

// RecentWriters shares local, the recent writers of this pod, with every
// pod through Redis, so that an actor whose write one pod handled reads the
// primary on all of them (readyourwrites.Middleware). Without Redis it is
// local alone.
//
// Redis failing never fails a write nor a read. A write whose record Redis
// refused is remembered by this pod only: other pods may serve that actor
// from a replica, stale for at most the replicas' staleness bound. A read
// Redis cannot answer within the budget goes to the primary; the gateway
// forwards only admins' reads with an actor, so only they ask Redis at all.
func (c *Cache) RecentWriters(local *sqldb.RecentWriters) readyourwrites.Writers {
	if c.remote == nil {
		return readyourwrites.Local(local)
	}
	return sharedWriters{local: local, r: c.remote}
}

type sharedWriters struct {
	local *sqldb.RecentWriters
	r     *remote
}

func (w sharedWriters) Wrote(ctx context.Context, who string) {
	if who == "" {
		return
	}
	w.local.Wrote(who)
	// Even when the caller has gone: its write may have committed.
	_ = w.r.do(context.WithoutCancel(ctx), "wrote", func(ctx context.Context) error {
		return w.r.rdb.Set(ctx, w.r.keys.writer(who), "1", w.local.Window()).Err()
	})
}

func (w sharedWriters) Recent(ctx context.Context, who string) bool {
	if who == "" {
		return false
	}
	if w.local.Recent(who) {
		return true
	}
	var n int64
	err := w.r.do(ctx, "recent", func(ctx context.Context) error {
		var err error
		n, err = w.r.rdb.Exists(ctx, w.r.keys.writer(who)).Result()
		return err
	})
	return err != nil || n > 0
}
