package cache

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// Listener timing: a subscription silent for listenHealthEvery is pinged,
// and replaced when the ping is not answered in as long again; reconnects
// back off from listenBackoffMin to listenBackoffMax.
const (
	listenHealthEvery = 5 * time.Second
	listenBackoffMin  = 100 * time.Millisecond
	listenBackoffMax  = 5 * time.Second
)

// listen applies other pods' invalidations to this pod's L1. Messages sent
// while this pod was not subscribed are lost, so every (re)subscription
// empties the L1.
func (c *Cache) listen(ctx context.Context) {
	backoff := listenBackoffMin
	for ctx.Err() == nil {
		if c.subscribe(ctx) {
			backoff = listenBackoffMin
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// subscribe holds one subscription until it fails or ctx ends. It reports
// whether the subscription worked at all.
func (c *Cache) subscribe(ctx context.Context) (worked bool) {
	ps := c.remote.rdb.Subscribe(ctx, c.keys.channel())
	// A blocked read does not watch ctx: closing the subscription ends it.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		ps.Close()
	}()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, listenHealthEvery)
		if err != nil {
			var ne net.Error
			if ctx.Err() != nil || !errors.As(err, &ne) || !ne.Timeout() || pinged {
				return worked
			}
			if ps.Ping(ctx) != nil {
				return worked
			}
			pinged = true
			continue
		}
		pinged = false
		switch msg := msg.(type) {
		case *redis.Subscription:
			if msg.Kind == "subscribe" {
				worked = true
				c.dropLocal(nil, true)
			}
		case *redis.Message:
			c.onMessage(ctx, msg.Payload)
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
	c.m.invalidations.WithLabelValues("message", "received").Inc()
	if version == c.keys.version || len(ids) == 0 {
		return
	}
	// A pod of another shape version wrote: its tombstones and list
	// generation do not cover this version's movie keys, so this pod
	// tombstones them (every pod of this version does; it is idempotent).
	c.invalidateRemote(ctx, ids, false, "message")
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
