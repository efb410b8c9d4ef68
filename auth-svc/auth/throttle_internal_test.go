package auth

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
)

// fail is a failed attempt: its reservation is kept.
func (f *failureLimiter) fail(key string, now time.Time) { f.reserveLocal(key, now) }

func TestFailureLimiterMemoryIsBounded(t *testing.T) {
	l := newFailureLimiter(ThrottleRule{Burst: 2, Every: time.Minute}, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.fail("user"+strconv.Itoa(i), now)
		if len(l.buckets) > 100 {
			t.Fatalf("tracking %d keys, limit 100", len(l.buckets))
		}
	}
	// The most throttled keys are kept longest: a key at its limit stays
	// while keys with a single failure come and go.
	for range 2 {
		l.fail("attacked", now)
	}
	for i := range 500 {
		l.fail("noise"+strconv.Itoa(i), now)
	}
	if r, wait := l.reserveLocal("attacked", now); r != nil || wait == 0 {
		t.Fatal("a throttled key was evicted before keys with fewer failures")
	}
	// Refilled buckets are forgotten first.
	later := now.Add(2 * time.Minute)
	l.fail("fresh", later)
	if len(l.buckets) != 1 {
		t.Fatalf("%d keys tracked after every bucket refilled", len(l.buckets))
	}
}

func TestBackoffMemoryIsBounded(t *testing.T) {
	b := newBackoff(0, time.Second, time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		b.failedLocal("client"+strconv.Itoa(i), now)
		if len(b.keys) > 100 {
			t.Fatalf("tracking %d keys, limit 100", len(b.keys))
		}
	}
	// Keys quiet for longer than the cap are forgotten first, and a key
	// quiet that long starts over at the first delay.
	later := now.Add(3 * time.Minute)
	b.failedLocal("fresh", later)
	if len(b.keys) != 1 {
		t.Fatalf("%d keys tracked after every delay lapsed", len(b.keys))
	}
	for range 3 {
		b.failedLocal("again", later)
	}
	b.failedLocal("again", later.Add(3*time.Minute))
	if w := b.waitLocal("again", later.Add(3*time.Minute)); w != time.Second {
		t.Fatalf("a key quiet past the cap waits %v, want the first delay", w)
	}
}

// sharedBackoffs are two replicas' delays sharing redis at addr.
func sharedBackoffs(t *testing.T, addr string) (*backoff, *backoff) {
	t.Helper()
	c := redisx.New(redisx.Settings{Addr: addr, Budget: 500 * time.Millisecond, BreakerOpen: time.Second, Name: "auth-backoff"}, redisx.Hooks{})
	t.Cleanup(func() { c.Close() })
	ns := redistest.Namespace() + ":"
	return newBackoff(1, time.Hour, 4*time.Hour, 100).sharedIn(c, ns), newBackoff(1, time.Hour, 4*time.Hour, 100).sharedIn(c, ns)
}

// TestBackoffIsSharedThroughRedis: failures counted on one replica delay
// the next attempt on the other, doubling to the cap; a success on either
// clears it; another key is not delayed.
func TestBackoffIsSharedThroughRedis(t *testing.T) {
	a, b := sharedBackoffs(t, redistest.RedisAddr(t))
	ctx, now := context.Background(), time.Now()
	a.failed(ctx, "kim|192.0.2.1", now) // the free one
	if w := b.wait(ctx, "kim|192.0.2.1", now); w != 0 {
		t.Fatalf("delayed %v within the burst", w)
	}
	for i, want := range []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour} {
		[]*backoff{a, b}[i%2].failed(ctx, "kim|192.0.2.1", now)
		w := []*backoff{b, a}[i%2].wait(ctx, "kim|192.0.2.1", now)
		if w > want || w < want-time.Minute {
			t.Fatalf("failure %d past the burst: the other replica waits %v, want %v", i+1, w, want)
		}
	}
	if w := a.wait(ctx, "kim|198.51.100.7", now); w != 0 {
		t.Fatalf("another client waits %v", w)
	}
	b.forget(ctx, "kim|192.0.2.1")
	if w := a.wait(ctx, "kim|192.0.2.1", now); w != 0 {
		t.Fatalf("still waits %v after a correct login on the other replica", w)
	}
}

// TestBackoffWithRedisDownDelaysInMemory: with nothing listening at the
// Redis address, each replica still delays a guesser it has seen fail.
func TestBackoffWithRedisDownDelaysInMemory(t *testing.T) {
	a, _ := sharedBackoffs(t, "127.0.0.1:"+strconv.Itoa(redistest.FreePort(t)))
	ctx, now := context.Background(), time.Now()
	for range 3 {
		a.failed(ctx, "kim|192.0.2.1", now)
	}
	if w := a.wait(ctx, "kim|192.0.2.1", now); w != 2*time.Hour {
		t.Fatalf("waits %v with Redis down, want 2h", w)
	}
}
