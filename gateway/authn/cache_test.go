package authn

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// countingIntrospector knows one valid token, "good", and can be made to fail.
type countingIntrospector struct {
	calls atomic.Int64
	fail  atomic.Bool
	// gate, when set, holds every call until closed.
	gate chan struct{}
}

func (c *countingIntrospector) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	c.calls.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	switch {
	case c.fail.Load():
		return contract.Identity{}, apierr.ErrUnavailable
	case token == "good":
		return contract.Identity{Username: "alice"}, nil
	default:
		return contract.Identity{}, apierr.ErrInvalidToken
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestCache(next Introspector, s CacheSettings) (*Cache, *clock) {
	c := NewCache(next, s, nil)
	clk := &clock{time.Unix(1_000_000, 0)}
	c.entries.SetClock(clk.now)
	return c, clk
}

func TestValidAnswersAreKeptForTheTTL(t *testing.T) {
	up := &countingIntrospector{}
	c, clk := newTestCache(up, CacheSettings{TTL: 5 * time.Second})
	ctx := context.Background()
	for range 3 {
		id, err := c.Introspect(ctx, "good")
		if err != nil || id.Username != "alice" {
			t.Fatalf("got %+v, %v", id, err)
		}
		clk.advance(time.Second)
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls within the TTL", n)
	}
	clk.advance(3 * time.Second)
	if _, err := c.Introspect(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	if n := up.calls.Load(); n != 2 {
		t.Fatalf("%d upstream calls after the TTL, want 2", n)
	}
}

func TestInvalidAnswersAreKeptBriefly(t *testing.T) {
	up := &countingIntrospector{}
	c, clk := newTestCache(up, CacheSettings{TTL: 5 * time.Second})
	ctx := context.Background()
	for range 3 {
		if _, err := c.Introspect(ctx, "bad"); !errors.Is(err, apierr.ErrInvalidToken) {
			t.Fatalf("err %v", err)
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for a remembered invalid token", n)
	}
	clk.advance(time.Second) // the default negative TTL
	_, _ = c.Introspect(ctx, "bad")
	if n := up.calls.Load(); n != 2 {
		t.Fatalf("invalid answer kept past the negative TTL (%d calls)", n)
	}
}

func TestFailuresAreNotKept(t *testing.T) {
	up := &countingIntrospector{}
	up.fail.Store(true)
	c, _ := newTestCache(up, CacheSettings{TTL: time.Minute})
	for range 3 {
		if _, err := c.Introspect(context.Background(), "good"); apierr.KindOf(err) != apierr.Unavailable {
			t.Fatalf("err %v", err)
		}
	}
	if n := up.calls.Load(); n != 3 {
		t.Fatalf("failures cached: %d calls", n)
	}
	up.fail.Store(false)
	if _, err := c.Introspect(context.Background(), "good"); err != nil {
		t.Fatalf("recovered upstream not asked: %v", err)
	}
}

func TestForgetRefusesAtOnceAndBeatsAnAnswerInFlight(t *testing.T) {
	up := &countingIntrospector{}
	c, _ := newTestCache(up, CacheSettings{TTL: time.Minute})
	ctx := context.Background()
	if _, err := c.Introspect(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	c.Forget("good")
	if _, err := c.Introspect(ctx, "good"); !errors.Is(err, apierr.ErrInvalidToken) {
		t.Fatalf("forgotten token accepted: %v", err)
	}

	// An introspection that started before the revoke must not store its
	// (now stale) valid answer.
	up.gate = make(chan struct{})
	c2, _ := newTestCache(up, CacheSettings{TTL: time.Minute})
	done := make(chan struct{})
	go func() { defer close(done); _, _ = c2.Introspect(ctx, "good") }()
	for up.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	c2.Forget("good")
	close(up.gate)
	<-done
	if _, err := c2.Introspect(ctx, "good"); !errors.Is(err, apierr.ErrInvalidToken) {
		t.Fatalf("stale answer resurrected a revoked token: %v", err)
	}
}

func TestConcurrentMissesAskOnce(t *testing.T) {
	up := &countingIntrospector{gate: make(chan struct{})}
	c, _ := newTestCache(up, CacheSettings{TTL: time.Minute})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Introspect(context.Background(), "good"); err != nil {
				t.Error(err)
			}
		})
	}
	for up.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // let the others queue on the flight
	close(up.gate)
	wg.Wait()
	if n := up.calls.Load(); n > 2 {
		t.Fatalf("%d upstream calls for 20 concurrent misses", n)
	}
}

func TestSizeIsBounded(t *testing.T) {
	up := &countingIntrospector{}
	c, clk := newTestCache(up, CacheSettings{TTL: time.Minute, MaxEntries: 100})
	for i := range 1000 {
		_, _ = c.Introspect(context.Background(), "bad-"+strconv.Itoa(i))
		if i%300 == 0 {
			clk.advance(time.Millisecond)
		}
	}
	if n := c.Len(); n > 100 {
		t.Fatalf("%d entries, bound is 100", n)
	}
}

func TestZeroTTLCachesNothing(t *testing.T) {
	up := &countingIntrospector{}
	c, _ := newTestCache(up, CacheSettings{})
	for range 3 {
		_, _ = c.Introspect(context.Background(), "good")
		_, _ = c.Introspect(context.Background(), "bad")
	}
	if n := up.calls.Load(); n != 6 {
		t.Fatalf("%d calls, want 6", n)
	}
}

// userIntrospector knows two tokens of alice and one of bob.
type userIntrospector struct{ calls atomic.Int64 }

func (u *userIntrospector) Introspect(_ context.Context, token string) (contract.Identity, error) {
	u.calls.Add(1)
	switch token {
	case "alice-1", "alice-2":
		return contract.Identity{Username: "alice"}, nil
	case "bob":
		return contract.Identity{Username: "bob"}, nil
	case "old":
		return contract.Identity{}, errExpired
	}
	return contract.Identity{}, apierr.ErrInvalidToken
}

var errExpired = apierr.New(apierr.Unauthenticated, "Token has expired.")

func TestForgetUserDropsEveryTokenOfTheUserAtOnce(t *testing.T) {
	up := &userIntrospector{}
	c, _ := newTestCache(up, CacheSettings{TTL: time.Hour})
	ctx := context.Background()
	for _, tok := range []string{"alice-1", "alice-2", "bob"} {
		if _, err := c.Introspect(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	c.ForgetUser("alice")
	for _, tok := range []string{"alice-1", "alice-2", "bob"} {
		if _, err := c.Introspect(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := up.calls.Load(); n != 5 {
		t.Fatalf("%d upstream calls, want 5: alice's two asked again, bob's kept", n)
	}
}

func TestRefusalsKeepTheirReason(t *testing.T) {
	up := &userIntrospector{}
	c, _ := newTestCache(up, CacheSettings{TTL: time.Hour})
	for range 2 {
		if _, err := c.Introspect(context.Background(), "old"); !errors.Is(err, errExpired) {
			t.Fatalf("expired token: %v", err)
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls, want the refusal cached", n)
	}
}
