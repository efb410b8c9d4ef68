package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
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
	{"prune expired tokens", testPruneExpiredTokens},
	{"token use is recorded a step at a time", testTouchToken},
	{"list and revoke tokens by id", testListTokens},
	{"list users by id", testListUsers},
	{"change a user's flags in a transaction", testChangeUser},
	{"concurrent demotions keep an admin", testConcurrentDemotions},
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
		got, err := owner(ctx, s, h)
		if err != nil || got.ID != id {
			t.Fatalf("token owner: %+v %v, want %d", got, err, id)
		}
	}
	if _, err := owner(ctx, s, auth.HashToken("unknown")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
	if err := s.DeleteToken(ctx, auth.HashToken("erin-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, auth.HashToken("erin-1")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := owner(ctx, s, auth.HashToken("erin-1")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("deleted token: %v", err)
	}
	if err := s.DeleteUserTokens(ctx, erin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner(ctx, s, auth.HashToken("erin-2")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of reset user: %v", err)
	}
	if got, err := owner(ctx, s, auth.HashToken("frank-1")); err != nil || got.ID != frank.ID {
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
	if err := s.PruneTokens(ctx, gina.ID, 10, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.PruneTokens(ctx, gina.ID, 2, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_, err := owner(ctx, s, auth.HashToken("gina"+strconv.Itoa(i)))
		if kept := i >= 3; kept != (err == nil) {
			t.Fatalf("token %d: kept=%v, err %v", i, kept, err)
		}
	}
	if _, err := owner(ctx, s, auth.HashToken("hank")); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}

// owner is the user a token hash belongs to.
func owner(ctx context.Context, s auth.Store, hash string) (auth.UserRecord, error) {
	_, u, err := s.TokenByHash(ctx, hash)
	return u, err
}

func testPruneExpiredTokens(t *testing.T, s auth.Store) {
	ctx := context.Background()
	ivy := mustCreate(t, s, "ivy", false)
	for i, at := range []time.Time{created, created.Add(time.Hour), created.Add(2 * time.Hour)} {
		if err := s.CreateToken(ctx, auth.HashToken("ivy"+strconv.Itoa(i)), ivy.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	// Token 1 was used lately: its idle clock starts again.
	if err := s.TouchToken(ctx, auth.HashToken("ivy1"), created.Add(5*time.Hour), created.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Created before +30m: token 0 is past its absolute expiry. Last used
	// before +3h: token 2 (never used, created at +2h) is idle.
	if err := s.PruneTokens(ctx, ivy.ID, 10, created.Add(30*time.Minute), created.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i, kept := range []bool{false, true, false} {
		if _, err := owner(ctx, s, auth.HashToken("ivy"+strconv.Itoa(i))); kept != (err == nil) {
			t.Fatalf("token %d: kept=%v, err %v", i, kept, err)
		}
	}
}

func testTouchToken(t *testing.T, s auth.Store) {
	ctx := context.Background()
	jim := mustCreate(t, s, "jim", false)
	h := auth.HashToken("jim")
	if err := s.CreateToken(ctx, h, jim.ID, created); err != nil {
		t.Fatal(err)
	}
	tok, u, err := s.TokenByHash(ctx, h)
	if err != nil || u.ID != jim.ID || !tok.CreatedAt.Equal(created) || !tok.LastUsedAt.IsZero() || tok.Hash != h {
		t.Fatalf("fresh token %+v of %+v: %v", tok, u, err)
	}
	used := created.Add(2 * time.Hour)
	if err := s.TouchToken(ctx, h, used, used.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Within the step: not written again.
	if err := s.TouchToken(ctx, h, used.Add(30*time.Minute), used.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if tok, _, _ := s.TokenByHash(ctx, h); !tok.LastUsedAt.Equal(used) {
		t.Fatalf("last used %v, want %v", tok.LastUsedAt, used)
	}
	later := used.Add(2 * time.Hour)
	if err := s.TouchToken(ctx, h, later, later.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tok, _, _ := s.TokenByHash(ctx, h); !tok.LastUsedAt.Equal(later) {
		t.Fatalf("last used %v, want %v", tok.LastUsedAt, later)
	}
}

func testListTokens(t *testing.T, s auth.Store) {
	ctx := context.Background()
	kim := mustCreate(t, s, "kim", false)
	lee := mustCreate(t, s, "lee", false)
	for i := range 3 {
		if err := s.CreateToken(ctx, auth.HashToken("kim"+strconv.Itoa(i)), kim.ID, created.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateToken(ctx, auth.HashToken("lee"), lee.ID, created); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListTokens(ctx, kim.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("list: %+v %v", got, err)
	}
	for i, tok := range got { // newest first
		if want := auth.HashToken("kim" + strconv.Itoa(2-i)); tok.Hash != want || tok.UserID != kim.ID {
			t.Fatalf("token %d: %+v, want hash %s", i, tok, want)
		}
	}
	// Another user's id is not found for kim, and stays.
	leeID := auth.TokenIDOfHash(auth.HashToken("lee"))
	if err := s.DeleteUserToken(ctx, kim.ID, leeID); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Fatalf("someone else's token: %v", err)
	}
	if _, err := owner(ctx, s, auth.HashToken("lee")); err != nil {
		t.Fatalf("lee's token after kim's attempt: %v", err)
	}
	if err := s.DeleteUserToken(ctx, kim.ID, auth.TokenIDOfHash(got[1].Hash)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUserToken(ctx, kim.ID, auth.TokenIDOfHash(got[1].Hash)); !errors.Is(err, auth.ErrTokenNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if after, _ := s.ListTokens(ctx, kim.ID); len(after) != 2 {
		t.Fatalf("%d tokens left, want 2", len(after))
	}
	if none, err := s.ListTokens(ctx, 1<<40); err != nil || len(none) != 0 {
		t.Fatalf("unknown user: %+v %v", none, err)
	}
}

func testListUsers(t *testing.T, s auth.Store) {
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		ids = append(ids, mustCreate(t, s, "page"+strconv.Itoa(i), false).ID)
	}
	got, err := s.ListUsers(ctx, ids[0], 2)
	if err != nil || len(got) != 2 || got[0].ID != ids[1] || got[1].ID != ids[2] || got[0].Username != "page1" {
		t.Fatalf("page after %d: %+v %v", ids[0], got, err)
	}
	all, err := s.ListUsers(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("not by id: %+v", all)
		}
	}
	if u, err := s.UserByID(ctx, ids[3]); err != nil || u.Username != "page3" {
		t.Fatalf("by id: %+v %v", u, err)
	}
	if _, err := s.UserByID(ctx, 1<<40); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func activeAdmins(t *testing.T, s auth.Store) int {
	all, err := s.ListUsers(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range all {
		if u.IsAdmin && !u.Disabled {
			n++
		}
	}
	return n
}

func testChangeUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	mona := mustCreate(t, s, "mona", false)
	before := activeAdmins(t, s)
	u, err := s.ChangeUser(ctx, mona.ID, func(cur auth.UserRecord, admins int) (auth.UserRecord, error) {
		if cur.ID != mona.ID || cur.IsAdmin || cur.Disabled || admins != before {
			t.Errorf("change saw %+v with %d admins, want mona and %d", cur, admins, before)
		}
		cur.IsAdmin, cur.Disabled = true, true
		return cur, nil
	})
	if err != nil || !u.IsAdmin || !u.Disabled || u.Username != "mona" {
		t.Fatalf("changed: %+v %v", u, err)
	}
	if got, _ := s.UserByUsername(ctx, "mona"); !got.IsAdmin || !got.Disabled {
		t.Fatalf("stored: %+v", got)
	}
	refused := errors.New("refused")
	if _, err := s.ChangeUser(ctx, mona.ID, func(cur auth.UserRecord, _ int) (auth.UserRecord, error) {
		return auth.UserRecord{}, refused
	}); !errors.Is(err, refused) {
		t.Fatalf("refused change: %v", err)
	}
	if _, err := s.ChangeUser(ctx, 1<<40, func(cur auth.UserRecord, _ int) (auth.UserRecord, error) { return cur, nil }); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

// testConcurrentDemotions: admins demoting every admin at once, each
// refusing to remove the last one, leave exactly one.
func testConcurrentDemotions(t *testing.T, s auth.Store) {
	ctx := context.Background()
	// Demote every admin the earlier cases made, so these are the only ones.
	all, _ := s.ListUsers(ctx, 0, 100000)
	for _, u := range all {
		if u.IsAdmin {
			if _, err := s.ChangeUser(ctx, u.ID, func(cur auth.UserRecord, _ int) (auth.UserRecord, error) {
				cur.IsAdmin = false
				return cur, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ids []int64
	for i := range 4 {
		ids = append(ids, mustCreate(t, s, "race"+strconv.Itoa(i), true).ID)
	}
	errLast := errors.New("last admin")
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			_, err := s.ChangeUser(ctx, id, func(cur auth.UserRecord, admins int) (auth.UserRecord, error) {
				if admins <= 1 {
					return auth.UserRecord{}, errLast
				}
				cur.IsAdmin = false
				return cur, nil
			})
			if err != nil && !errors.Is(err, errLast) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := activeAdmins(t, s); n != 1 {
		t.Fatalf("%d active admins after concurrent demotions, want 1", n)
	}
}
