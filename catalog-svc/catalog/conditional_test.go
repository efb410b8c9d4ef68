package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// newWithOptions is the service with opts, served over HTTP when remote.
func newWithOptions(t *testing.T, b sqltest.Backend, opts catalog.Options, remote bool) catalog.Service {
	t.Helper()
	e := newLocalWith(t, b, opts)
	if remote {
		return serve(t, e, &headerLog{})
	}
	return e.Service()
}

// TestConditionsLocalAndRemote: versions, If-Match and Idempotency-Key
// behave the same through the service and through its HTTP client, which
// carries them as headers (ETag back into Version).
func TestConditionsLocalAndRemote(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		for _, remote := range []bool{false, true} {
			name := string(b.Driver) + map[bool]string{false: "/local", true: "/remote"}[remote]
			t.Run(name, func(t *testing.T) { conditions(t, newWithOptions(t, b, catalog.Options{}, remote)) })
			t.Run(name+"/required", func(t *testing.T) {
				requiredIfMatch(t, newWithOptions(t, b, catalog.Options{RequireIfMatch: true}, remote))
			})
		}
	}
}

func cond(tags ...string) contract.IfMatch { return contract.IfMatch{Tags: tags} }

func conditions(t *testing.T, svc catalog.Service) {
	admin := catalog.WithActor(context.Background(), "admin")
	m, err := svc.Create(admin, write("Vertigo", "Alfred Hitchcock", 80, 8.3))
	if err != nil || m.Version != 1 {
		t.Fatalf("created %+v, %v", m, err)
	}
	got, err := svc.Get(admin, m.ID)
	if err != nil || got.ETag() != m.ETag() {
		t.Fatalf("read %+v (%v), want the created version", got, err)
	}
	patched, err := svc.Patch(catalog.WithIfMatch(admin, cond(m.ETag())), m.ID, contract.MovieWrite{IMDBScore: ptr(8.4)})
	if err != nil || patched.Version != 2 {
		t.Fatalf("patch at the current version: %+v, %v", patched, err)
	}
	stale := catalog.WithIfMatch(admin, cond(m.ETag()))
	if _, err := svc.Replace(stale, m.ID, write("Lost", "", 1, 1)); !errors.Is(err, catalog.ErrPreconditionFailed) {
		t.Fatalf("replace at a stale version: %v", err)
	}
	if err := svc.Delete(stale, m.ID); !errors.Is(err, catalog.ErrPreconditionFailed) {
		t.Fatalf("delete at a stale version: %v", err)
	}
	// Validation comes first: bad input is a 400 whatever the condition.
	_, err = svc.Patch(stale, m.ID, contract.MovieWrite{IMDBScore: ptr(11.0)})
	wantFields(t, err, map[string][]string{"imdb_score": {"Ensure this value is less than or equal to 10."}})
	if err := svc.Delete(catalog.WithIfMatch(admin, contract.IfMatch{Any: true}), m.ID); err != nil {
		t.Fatalf("delete with *: %v", err)
	}

	// Idempotent creates.
	keyed := catalog.WithIdempotencyKey(admin, "create-1")
	first, err := svc.Create(keyed, write("Rope", "Alfred Hitchcock", 70, 7.9))
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.Create(keyed, write("Rope", "Alfred Hitchcock", 70, 7.9))
	if err != nil || again.ID != first.ID || again.ETag() != first.ETag() {
		t.Fatalf("retry: %+v, %v; want %+v", again, err, first)
	}
	if _, err := svc.Create(keyed, write("Rear Window", "Alfred Hitchcock", 80, 8.5)); !errors.Is(err, catalog.ErrIdempotencyKeyReused) {
		t.Fatalf("key reused for another body: %v", err)
	}
	p, err := svc.List(admin, contract.ListQuery{Search: "Rope"})
	if err != nil || len(p.Movies) != 1 {
		t.Fatalf("%d movies named Rope, want 1 (%v)", len(p.Movies), err)
	}
}

func requiredIfMatch(t *testing.T, svc catalog.Service) {
	admin := catalog.WithActor(context.Background(), "admin")
	m, err := svc.Create(admin, write("Notorious", "Alfred Hitchcock", 70, 7.9))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Patch(admin, m.ID, contract.MovieWrite{IMDBScore: ptr(8.0)}); !errors.Is(err, catalog.ErrPreconditionRequired) {
		t.Fatalf("patch without If-Match: %v", err)
	}
	if err := svc.Delete(admin, m.ID); !errors.Is(err, catalog.ErrPreconditionRequired) {
		t.Fatalf("delete without If-Match: %v", err)
	}
	if _, err := svc.Patch(catalog.WithIfMatch(admin, cond(m.ETag())), m.ID, contract.MovieWrite{IMDBScore: ptr(8.0)}); err != nil {
		t.Fatalf("patch with If-Match: %v", err)
	}
}
