package upstream_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/upstream"
)

// stuckLogins is auth-svc with every login held until release closes: a
// login flood that fills whatever bound it is given.
type stuckLogins struct {
	*authtest.Auth
	release chan struct{}
}

func (s stuckLogins) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return contract.TokenResponse{}, ctx.Err()
	}
	return s.Auth.Login(ctx, c)
}

// TestLoginFloodLeavesTokenChecksAnswering floods logins (a bounded count,
// concurrently) past the login guard's bound and breaker, while token
// checks, behind their own guard, keep answering.
func TestLoginFloodLeavesTokenChecksAnswering(t *testing.T) {
	svc := stuckLogins{authtest.NewAuth(), make(chan struct{})}
	const bound = 4
	guards := upstream.AuthGuards{
		Login:      upstream.NewGuard(upstream.Settings{Name: "auth-login", Timeout: 50 * time.Millisecond, TripAfter: 2, OpenFor: time.Hour, MaxInFlight: bound}, nil),
		Introspect: upstream.NewGuard(upstream.Settings{Name: "auth-introspect", MaxInFlight: bound}, nil),
		Other:      upstream.NewGuard(upstream.Settings{Name: "auth", MaxInFlight: bound}, nil),
	}
	guarded := auth.MakeEndpoints(svc).Use(guards.Middleware()).Service()
	ctx := context.Background()

	var wg sync.WaitGroup
	var mu sync.Mutex
	kinds := map[apierr.Kind]int{}
	for range 40 {
		wg.Go(func() {
			_, err := guarded.Login(ctx, contract.Credentials{Username: "alice", Password: "wrong"})
			mu.Lock()
			kinds[apierr.KindOf(err)]++
			mu.Unlock()
		})
	}
	// While the logins are stuck or refused, every token check answers.
	for range 200 {
		id, err := guarded.Introspect(ctx, authtest.UserToken)
		if err != nil || id.Username != "alice" {
			t.Fatalf("token check during the login flood: %+v %v", id, err)
		}
	}
	wg.Wait()
	close(svc.release)
	if kinds[apierr.Unavailable]+kinds[apierr.Timeout] != 40 {
		t.Fatalf("flooded logins ended %v, want every one refused (503) or timed out (504)", kinds)
	}
	if guards.Login.State() != "open" || guards.Introspect.State() != "closed" {
		t.Fatalf("breakers: login %s, introspect %s; want only login's open", guards.Login.State(), guards.Introspect.State())
	}
	if _, err := guarded.Introspect(ctx, authtest.AdminToken); err != nil {
		t.Fatalf("token check after the flood: %v", err)
	}
}
