package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func actingAs(name string) context.Context {
	return servicetoken.WithActor(context.Background(), servicetoken.Actor{Username: name})
}

func TestTokensExpireAbsoluteAndIdle(t *testing.T) {
	f := sqlite(t, auth.Options{TokenMaxAge: 10 * time.Hour, TokenIdleTimeout: 3 * time.Hour, LastUsedStep: time.Hour})
	mustCreateUser(t, f.basic, "nina", "correct horse", false)
	ctx := context.Background()

	idle := mustLogin(t, f.basic, "nina", "correct horse")
	busy := mustLogin(t, f.basic, "nina", "correct horse")
	// busy is used every two hours; idle never.
	for range 4 {
		f.clock.Advance(2 * time.Hour)
		if _, err := f.basic.Introspect(ctx, busy); err != nil {
			t.Fatalf("a token in use, %v after login: %v", f.clock.Now(), err)
		}
	}
	if _, err := f.basic.Introspect(ctx, idle); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("idle token: %v, want ErrTokenExpired", err)
	}
	// Past the absolute age, use does not help.
	f.clock.Advance(2 * time.Hour)
	_, err := f.basic.Introspect(ctx, busy)
	if !errors.Is(err, auth.ErrTokenExpired) || apierr.KindOf(err) != apierr.Unauthenticated {
		t.Fatalf("old token: %v, want a 401 ErrTokenExpired", err)
	}
	// Through the wire the answer is the same 401 and message.
	if _, err := remote(t, f.basic).Introspect(ctx, busy); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("remote: %v", err)
	}
}

func TestLegacyHexTokensWorkUntilTheyExpire(t *testing.T) {
	f := sqlite(t, auth.Options{})
	u := mustCreateUser(t, f.basic, "oscar", "correct horse", false)
	legacy := strings.Repeat("ab", 20)
	if _, err := f.db.Exec(`INSERT INTO tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)`,
		auth.HashToken(legacy), u.ID, f.clock.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if id, err := f.basic.Introspect(context.Background(), legacy); err != nil || id.Username != "oscar" {
		t.Fatalf("legacy token: %+v %v", id, err)
	}
	f.clock.Advance(31 * 24 * time.Hour)
	if _, err := f.basic.Introspect(context.Background(), legacy); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("legacy token after 31 days: %v", err)
	}
	// A token whose checksum is off is refused before any lookup.
	tok := mustLogin(t, f.basic, "oscar", "correct horse")
	flipped := tok[:len(tok)-1] + string("AB"[strings.IndexByte("A", tok[len(tok)-1])+1])
	if _, err := f.basic.Introspect(context.Background(), flipped); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("bad checksum: %v", err)
	}
}

func TestOwnTokensListAndRevoke(t *testing.T) {
	for view, wrap := range map[string]func(t *testing.T, s *auth.BasicService) auth.Service{
		"local":  func(_ *testing.T, s *auth.BasicService) auth.Service { return s },
		"remote": func(t *testing.T, s *auth.BasicService) auth.Service { return remote(t, s) },
	} {
		t.Run(view, func(t *testing.T) {
			f := sqlite(t, auth.Options{})
			s := wrap(t, f.basic)
			mustCreateUser(t, f.basic, "pam", "correct horse", false)
			mustCreateUser(t, f.basic, "quinn", "correct horse", false)
			keep := mustLogin(t, f.basic, "pam", "correct horse")
			drop := mustLogin(t, f.basic, "pam", "correct horse")
			other := mustLogin(t, f.basic, "quinn", "correct horse")
			list, err := s.ListTokens(actingAs("pam"))
			if err != nil || len(list) != 2 {
				t.Fatalf("list: %+v %v", list, err)
			}
			for _, ti := range list {
				if strings.Contains(ti.ID, keep) || ti.Expires.IsZero() || ti.Created.IsZero() {
					t.Fatalf("listed %+v", ti)
				}
			}
			dropID := auth.TokenIDOfHash(auth.HashToken(drop))
			otherID := auth.TokenIDOfHash(auth.HashToken(other))
			if err := s.RevokeTokenByID(actingAs("pam"), otherID); !errors.Is(err, auth.ErrTokenNotFound) {
				t.Fatalf("revoking someone else's: %v", err)
			}
			if err := s.RevokeTokenByID(actingAs("pam"), "../../x"); !errors.Is(err, auth.ErrTokenNotFound) {
				t.Fatalf("revoking a bad id: %v", err)
			}
			if err := s.RevokeTokenByID(actingAs("pam"), dropID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Introspect(context.Background(), drop); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("revoked: %v", err)
			}
			for _, tok := range []string{keep, other} {
				if _, err := s.Introspect(context.Background(), tok); err != nil {
					t.Fatalf("kept: %v", err)
				}
			}
			if _, err := s.ListTokens(context.Background()); !errors.Is(err, apierr.ErrForbidden) {
				t.Fatalf("no actor: %v", err)
			}
		})
	}
}

func TestUserAdministration(t *testing.T) {
	f := sqlite(t, auth.Options{})
	s := f.basic
	root := mustCreateUser(t, s, "root", "correct horse", true)
	rita := mustCreateUser(t, s, "rita", "correct horse", false)
	ritaToken := mustLogin(t, s, "rita", "correct horse")
	asRoot, asRita := actingAs("root"), actingAs("rita")
	yes, no := ptr(true), ptr(false)

	// Only an active admin, as the store has it now, administers.
	if _, err := s.ListUsers(asRita, contract.UserListQuery{}); !errors.Is(err, apierr.ErrForbidden) {
		t.Fatalf("user lists users: %v", err)
	}
	if _, err := s.ChangeUser(asRita, rita.ID, contract.UserChange{IsAdmin: yes}); !errors.Is(err, apierr.ErrForbidden) {
		t.Fatalf("user promotes self: %v", err)
	}
	page, err := s.ListUsers(asRoot, contract.UserListQuery{PageSize: 1})
	if err != nil || len(page.Users) != 1 || page.Users[0].ID != root.ID || page.Next != root.ID {
		t.Fatalf("first page: %+v %v", page, err)
	}
	page, err = s.ListUsers(asRoot, contract.UserListQuery{After: page.Next, PageSize: 1})
	if err != nil || len(page.Users) != 1 || page.Users[0].Username != "rita" || page.Next != 0 {
		t.Fatalf("last page: %+v %v", page, err)
	}

	// The last active admin cannot go, by demotion or disabling.
	for _, c := range []contract.UserChange{{IsAdmin: no}, {IsActive: no}} {
		if _, err := s.ChangeUser(asRoot, root.ID, c); !errors.Is(err, auth.ErrLastAdmin) || apierr.KindOf(err) != apierr.Conflict {
			t.Fatalf("last admin %+v: %v, want 409", c, err)
		}
	}
	if _, err := s.ChangeUser(asRoot, rita.ID, contract.UserChange{}); !errors.Is(err, auth.ErrNothingToChange) {
		t.Fatalf("empty change: %v", err)
	}
	if _, err := s.ChangeUser(asRoot, 999, contract.UserChange{IsAdmin: yes}); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}

	// Disabled: no login, tokens refused at once; enabled again: they work.
	u, err := s.ChangeUser(asRoot, rita.ID, contract.UserChange{IsActive: no})
	if err != nil || u.IsActive {
		t.Fatalf("disable: %+v %v", u, err)
	}
	if _, err := s.Introspect(context.Background(), ritaToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("disabled user's token: %v", err)
	}
	if _, err := s.Login(context.Background(), contract.Credentials{Username: "rita", Password: "correct horse"}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("disabled user's login: %v", err)
	}
	if _, err := s.ListTokens(asRita); !errors.Is(err, apierr.ErrForbidden) {
		t.Fatalf("disabled actor: %v", err)
	}
	if _, err := s.ChangeUser(asRoot, rita.ID, contract.UserChange{IsActive: yes, IsAdmin: yes}); err != nil {
		t.Fatal(err)
	}
	if id, err := s.Introspect(context.Background(), ritaToken); err != nil || !id.IsAdmin {
		t.Fatalf("enabled admin's token: %+v %v", id, err)
	}
	// With two admins, one may step down.
	if u, err := s.ChangeUser(asRoot, root.ID, contract.UserChange{IsAdmin: no}); err != nil || u.IsAdmin {
		t.Fatalf("demote with another admin: %+v %v", u, err)
	}
	if _, err := s.ListUsers(asRoot, contract.UserListQuery{}); !errors.Is(err, apierr.ErrForbidden) {
		t.Fatalf("demoted admin still administers: %v", err)
	}

	// Revoking all of a user's tokens.
	if u, err := s.RevokeUserTokens(actingAs("rita"), root.ID); err != nil || u.Username != "root" {
		t.Fatal(err)
	}
	if _, err := s.RevokeUserTokens(actingAs("rita"), 999); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := s.RevokeUserTokens(actingAs("rita"), rita.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Introspect(context.Background(), ritaToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token after revoke-all: %v", err)
	}
}

// TestAdministrationOnEveryBackend runs the last-admin rule against MariaDB
// too, where it rests on row locks.
func TestAdministrationOnEveryBackend(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			f := newFixture(t, b, auth.Options{})
			a := mustCreateUser(t, f.basic, "admin-a", "correct horse", true)
			if _, err := f.basic.ChangeUser(actingAs("admin-a"), a.ID, contract.UserChange{IsActive: ptr(false)}); !errors.Is(err, auth.ErrLastAdmin) {
				t.Fatalf("disable the last admin: %v", err)
			}
		})
	}
}
