package auth

import (
	"strconv"
	"testing"
	"time"
)

// fail is a failed attempt: its reservation is kept.
func (f *failureLimiter) fail(key string, now time.Time) { f.reserve(key, now) }

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
	if r, wait := l.reserve("attacked", now); r != nil || wait == 0 {
		t.Fatal("a throttled key was evicted before keys with fewer failures")
	}
	// Refilled buckets are forgotten first.
	later := now.Add(2 * time.Minute)
	l.fail("fresh", later)
	if len(l.buckets) != 1 {
		t.Fatalf("%d keys tracked after every bucket refilled", len(l.buckets))
	}
}
