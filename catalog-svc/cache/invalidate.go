package cache

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// listen applies other pods' invalidations to this pod's L1. go-redis
// reconnects and resubscribes by itself; messages sent while this pod was
// not subscribed are lost, so every (re)subscription empties the L1.
func (c *Cache) listen(ctx context.Context) {
	ps := c.remote.rdb.Subscribe(ctx, c.keys.channel())
	defer ps.Close()
	msgs := ps.ChannelWithSubscriptions(redis.WithChannelHealthCheckInterval(5*time.Second), redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			switch msg := msg.(type) {
			case *redis.Subscription:
				if msg.Kind == "subscribe" {
					c.dropLocal(nil, true)
				}
			case *redis.Message:
				c.onMessage(ctx, msg.Payload)
			}
		}
	}
}

func (c *Cache) onMessage(ctx context.Context, payload string) {
	version, ids, ok := parseInvalidation(payload)
	if !ok {
		c.log.Warn("catalog cache: unreadable invalidation message", "payload", payload)
		return
	}
	c.dropLocal(ids, false)
	c.m.invalidations.WithLabelValues("message", "ok").Inc()
	if version == c.keys.version || len(ids) == 0 {
		return
	}
	// A pod of another shape version wrote: its tombstones and list
	// generation do not cover this version's movie keys, so this pod
	// tombstones them (every pod of this version does; it is idempotent).
	if err := c.remote.invalidate(ctx, ids, false); err != nil {
		if !c.pending.add(ids) {
			c.distrustDetails()
		}
		c.m.invalidations.WithLabelValues("message", "deferred").Inc()
	}
}

// retry sends the invalidations Redis refused, every cfg.RetryEvery, until
// it takes them.
func (c *Cache) retry(ctx context.Context) {
	t := time.NewTicker(c.cfg.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.flushPending(ctx)
		}
	}
}

// flushPending sends pending invalidations to Redis, one batch at a time,
// until none are left or Redis fails.
func (c *Cache) flushPending(ctx context.Context) {
	for c.pending.count() > 0 {
		ids, seq := c.pending.batch()
		if err := c.remote.invalidate(ctx, ids, true); err != nil {
			return
		}
		c.pending.done(ids, seq)
		c.m.invalidations.WithLabelValues("retry", "ok").Inc()
	}
}
