package redisx_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
)

func TestCallsAnswerWithinTheBudget(t *testing.T) {
	c := redisx.New(redisx.Settings{Addr: redistest.RedisAddr(t), Budget: time.Second, BreakerOpen: time.Second}, redisx.Hooks{})
	defer c.Close()
	key := redistest.Namespace() + ":k"
	ctx := context.Background()
	if err := c.Do(ctx, "set", func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Set(ctx, key, "v", time.Minute).Err()
	}); err != nil {
		t.Fatal(err)
	}
	var got string
	err := c.Do(ctx, "get", func(ctx context.Context, rdb *redis.Client) error {
		var err error
		got, err = rdb.Get(ctx, key).Result()
		return err
	})
	if err != nil || got != "v" {
		t.Fatalf("get: %q, %v", got, err)
	}
	err = c.Do(ctx, "get", func(ctx context.Context, rdb *redis.Client) error {
		return redisx.IgnoreNil(rdb.Get(ctx, key+":absent").Err())
	})
	if err != nil {
		t.Errorf("an absent key is no failure: %v", err)
	}
}

// A Redis that accepts connections and never answers costs each call its
// budget, then the breaker opens and calls fail without the network.
func TestASilentRedisTimesOutThenTheBreakerOpens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	var failures atomic.Int64
	var reasons []string
	var opened atomic.Bool
	c := redisx.New(redisx.Settings{Addr: ln.Addr().String(), Budget: 50 * time.Millisecond, BreakerOpen: time.Minute},
		redisx.Hooks{
			Failure:      func(_ string, err error) { failures.Add(1); reasons = append(reasons, redisx.Reason(err)) },
			BreakerState: func(s gobreaker.State) { opened.Store(s == gobreaker.StateOpen) },
		})
	defer c.Close()
	get := func(ctx context.Context, rdb *redis.Client) error { return rdb.Get(ctx, "k").Err() }
	for range redisx.TripAfter {
		if err := c.Do(context.Background(), "get", get); err == nil {
			t.Fatal("a silent Redis answered")
		}
	}
	if !opened.Load() || c.State() != "open" {
		t.Fatalf("breaker %s after %d failures", c.State(), redisx.TripAfter)
	}
	err = c.Do(context.Background(), "get", get)
	if !errors.Is(err, gobreaker.ErrOpenState) {
		t.Errorf("with the breaker open: %v", err)
	}
	if failures.Load() != redisx.TripAfter+1 || reasons[0] != "timeout" || reasons[len(reasons)-1] != "breaker_open" {
		t.Errorf("failures %d, reasons %v", failures.Load(), reasons)
	}
}

// A caller that goes away is not Redis failing.
func TestACancelledCallerIsNoFailure(t *testing.T) {
	var failures atomic.Int64
	c := redisx.New(redisx.Settings{Addr: redistest.RedisAddr(t), Budget: time.Second, BreakerOpen: time.Minute},
		redisx.Hooks{Failure: func(string, error) { failures.Add(1) }})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 2 * redisx.TripAfter {
		_ = c.Do(ctx, "get", func(ctx context.Context, rdb *redis.Client) error { return rdb.Get(ctx, "k").Err() })
	}
	if failures.Load() != 0 || c.State() != "closed" {
		t.Errorf("failures %d, breaker %s", failures.Load(), c.State())
	}
}
