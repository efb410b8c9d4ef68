package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/store"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestConformance is the one suite every backend of auth.Store passes.
func TestConformance(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			t.Parallel()
			db := sqltest.Open(t, b)
			ctx := context.Background()
			for range 2 { // a second run finds nothing to do
				if err := store.Migrate(ctx, db, b.Driver); err != nil {
					t.Fatal(err)
				}
			}
			s := store.New(db, b.Driver)
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) { c.test(t, s) })
			}
		})
	}
}

var conformance = []struct {
	name string
	test func(t *testing.T, s auth.Store)
}{
	{"users round trip and match case-insensitively", testUsers},
	{"usernames are unique case-insensitively", testDuplicates},
	{"update user", testUpdateUser},
	{"tokens", testTokens},
	{"prune tokens", testPruneTokens},
	{"ping", func(t *testing.T, s auth.Store) {
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	}},
}

var created = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func mustCreate(t *testing.T, s auth.Store, name string, admin bool) auth.UserRecord {
	t.Helper()
	u, err := s.CreateUser(context.Background(), auth.UserRecord{
		Username: name, PasswordHash: "$2a$04$hash-" + strconv.Itoa(len(name)), IsAdmin: admin, CreatedAt: created,
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if u.ID == 0 {
		t.Fatalf("create %s: no id", name)
	}
	return u
}

func testUsers(t *testing.T, s auth.Store) {
	ctx := context.Background()
	alice := mustCreate(t, s, "Alice", true)
	bob := mustCreate(t, s, "bob.b+x@y-z_1", false)
	if alice.ID == bob.ID {
		t.Fatal("two users share an id")
	}
	for _, lookup := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.UserByUsername(ctx, lookup)
		if err != nil {
			t.Fatalf("%s: %v", lookup, err)
		}
		if got.ID != alice.ID || got.Username != "Alice" || got.PasswordHash != alice.PasswordHash || !got.IsAdmin {
			t.Fatalf("%s: got %+v, want %+v", lookup, got, alice)
		}
		if !got.CreatedAt.Equal(created) {
			t.Fatalf("created_at %v, want %v", got.CreatedAt, created)
		}
	}
	got, err := s.UserByUsername(ctx, "BOB.B+X@Y-Z_1")
	if err != nil || got.ID != bob.ID || got.IsAdmin {
		t.Fatalf("bob: %+v %v", got, err)
	}
	if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func testDuplicates(t *testing.T, s auth.Store) {
	mustCreate(t, s, "Carol", false)
	for _, dup := range []string{"Carol", "carol", "CAROL"} {
		_, err := s.CreateUser(context.Background(), auth.UserRecord{Username: dup, PasswordHash: "x", CreatedAt: created})
		if !errors.Is(err, auth.ErrUsernameTaken) {
			t.Fatalf("%s: %v, want ErrUsernameTaken", dup, err)
		}
	}
	// Case folds, accents do not: MySQL's _ci collation must not merge these.
	mustCreate(t, s, "jose", false)
	mustCreate(t, s, "josé", false)
}

func testUpdateUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	dave := mustCreate(t, s, "dave", false)
	if err := s.UpdateUser(ctx, dave.ID, "new-hash", true); err != nil {
		t.Fatal(err)
	}
	// Writing the values it already has is not a miss.
	if err := s.UpdateUser(ctx, dave.ID, "new-hash", true); err != nil {
		t.Fatalf("idempotent update: %v", err)
	}
	got, err := s.UserByUsername(ctx, "dave")
	if err != nil || got.PasswordHash != "new-hash" || !got.IsAdmin {
		t.Fatalf("after update: %+v %v", got, err)
	}
	if err := s.UpdateUser(ctx, 1<<40, "x", false); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func testTokens(t *testing.T, s auth.Store) {
	ctx := context.Background()
	erin := mustCreate(t, s, "erin", true)
	frank := mustCreate(t, s, "frank", false)
	tokens := map[string]int64{
		auth.HashToken("erin-1"): erin.ID, auth.HashToken("erin-2"): erin.ID, auth.HashToken("frank-1"): frank.ID,
	}
	for h, id := range tokens {
		if err := s.CreateToken(ctx, h, id, created); err != nil {
			t.Fatal(err)
		}
	}
	for h, id := range tokens {
		got, err := s.UserByToken(ctx, h)
		if err != nil || got.ID != id {
			t.Fatalf("token owner: %+v %v, want %d", got, err, id)
		}
	}
	if _, err := s.UserByToken(ctx, auth.HashToken("unknown")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
	if err := s.DeleteToken(ctx, auth.HashToken("erin-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, auth.HashToken("erin-1")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.UserByToken(ctx, auth.HashToken("erin-1")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("deleted token: %v", err)
	}
	if err := s.DeleteUserTokens(ctx, erin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, auth.HashToken("erin-2")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of reset user: %v", err)
	}
	if got, err := s.UserByToken(ctx, auth.HashToken("frank-1")); err != nil || got.ID != frank.ID {
		t.Fatalf("other user's token: %+v %v", got, err)
	}
}

func testPruneTokens(t *testing.T, s auth.Store) {
	ctx := context.Background()
	gina := mustCreate(t, s, "gina", false)
	hank := mustCreate(t, s, "hank", false)
	if err := s.CreateToken(ctx, auth.HashToken("hank"), hank.ID, created); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.CreateToken(ctx, auth.HashToken("gina"+strconv.Itoa(i)), gina.ID, created.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PruneTokens(ctx, gina.ID, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.PruneTokens(ctx, gina.ID, 2); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_, err := s.UserByToken(ctx, auth.HashToken("gina"+strconv.Itoa(i)))
		if kept := i >= 3; kept != (err == nil) {
			t.Fatalf("token %d: kept=%v, err %v", i, kept, err)
		}
	}
	if _, err := s.UserByToken(ctx, auth.HashToken("hank")); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}
