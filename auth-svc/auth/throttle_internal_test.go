package auth

import (
	"strconv"
	"testing"
	"time"
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
		b.failed("client"+strconv.Itoa(i), now)
		if len(b.keys) > 100 {
			t.Fatalf("tracking %d keys, limit 100", len(b.keys))
		}
	}
	// Keys quiet for longer than the cap are forgotten first, and a key
	// quiet that long starts over at the first delay.
	later := now.Add(3 * time.Minute)
	b.failed("fresh", later)
	if len(b.keys) != 1 {
		t.Fatalf("%d keys tracked after every delay lapsed", len(b.keys))
	}
	for range 3 {
		b.failed("again", later)
	}
	b.failed("again", later.Add(3*time.Minute))
	if w := b.wait("again", later.Add(3*time.Minute)); w != time.Second {
		t.Fatalf("a key quiet past the cap waits %v, want the first delay", w)
	}
}
