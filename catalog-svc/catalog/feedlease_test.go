package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestFeedLeaseLocalAndRemote: the lease behaves alike in process (moviesd)
// and over HTTP (search-svc), bad input is a 400 that changes nothing, and
// another holder's lease is a 409 the client recognizes.
func TestFeedLeaseLocalAndRemote(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver)+"/local", func(t *testing.T) { leaseBehaviour(t, newLocal(t, b).Service()) })
		t.Run(string(b.Driver)+"/remote", func(t *testing.T) { leaseBehaviour(t, newRemote(t, b, &headerLog{})) })
	}
}

func leaseBehaviour(t *testing.T, svc catalog.Service) {
	ctx := context.Background()
	req := func(holder string, ttlMillis int64, pos *int64) contract.FeedLeaseRequest {
		return contract.FeedLeaseRequest{Holder: holder, TTLMillis: ttlMillis, Position: pos}
	}
	for name, bad := range map[string]struct {
		consumer string
		r        contract.FeedLeaseRequest
		field    string
	}{
		"no holder":         {"search:movies", req("", 15000, nil), "holder"},
		"holder with space": {"search:movies", req("a b", 15000, nil), "holder"},
		"ttl too short":     {"search:movies", req("a", 10, nil), "ttl_ms"},
		"ttl too long":      {"search:movies", req("a", 3_600_000, nil), "ttl_ms"},
		"negative position": {"search:movies", req("a", 15000, ptr(int64(-1))), "position"},
		"bad consumer":      {"search/movies", req("a", 15000, nil), "name"},
	} {
		_, err := svc.AcquireFeedLease(ctx, bad.consumer, bad.r)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Kind != apierr.Invalid || e.Fields[bad.field] == nil {
			t.Fatalf("%s: %v, want a 400 on %s", name, err, bad.field)
		}
	}
	got, err := svc.AcquireFeedLease(ctx, "search:movies", req("a", 15000, ptr(int64(4))))
	if err != nil || got.Holder != "a" || got.Position != 4 || got.Consumer != "search:movies" {
		t.Fatalf("acquire = %+v, %v", got, err)
	}
	if _, err := svc.AcquireFeedLease(ctx, "search:movies", req("b", 15000, ptr(int64(9)))); !errors.Is(err, contract.ErrFeedLeaseHeld) {
		t.Fatalf("b while a holds: %v, want ErrFeedLeaseHeld", err)
	}
	if err := svc.ReleaseFeedLease(ctx, "search:movies", "a"); err != nil {
		t.Fatal(err)
	}
	if got, err = svc.AcquireFeedLease(ctx, "search:movies", req("b", 15000, nil)); err != nil || got.Holder != "b" || got.Position != 4 {
		t.Fatalf("b after release = %+v, %v", got, err)
	}
}
