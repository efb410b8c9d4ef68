package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/store"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestBehaviour runs the service's contract against the service itself and
// against it through the HTTP transport and client: callers must not be able
// to tell them apart, errors included.
func TestBehaviour(t *testing.T) {
	views := map[string]func(t *testing.T, s *auth.BasicService) auth.Service{
		"local":  func(_ *testing.T, s *auth.BasicService) auth.Service { return s },
		"remote": func(t *testing.T, s *auth.BasicService) auth.Service { return remote(t, s) },
	}
	cases := []struct {
		name string
		test func(t *testing.T, s auth.Service)
	}{
		{"login issues a new mov_ token each time", testLoginTokens},
		{"wrong credentials get DRF's answer", testBadCredentials},
		{"missing fields are field errors", testMissingFields},
		{"introspect and revoke", testIntrospectRevoke},
		{"admins and users", testRoles},
		{"usernames are unique case-insensitively", testDuplicateUsername},
		{"new users are validated per field", testValidation},
	}
	for view, wrap := range views {
		for _, c := range cases {
			t.Run(view+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				c.test(t, wrap(t, sqlite(t, auth.Options{}).basic))
			})
		}
	}
}

var tokenShape = regexp.MustCompile(`^mov_[0-9A-Za-z]{38}$`)

func testLoginTokens(t *testing.T, s auth.Service) {
	mustCreateUser(t, s, "Alice", "correct horse", false)
	first := mustLogin(t, s, "Alice", "correct horse")
	second := mustLogin(t, s, "  alice ", "correct horse") // usernames: trimmed, any case
	for _, tok := range []string{first, second} {
		if !tokenShape.MatchString(tok) {
			t.Fatalf("token %q is not mov_ and 38 base62 characters", tok)
		}
	}
	if first == second {
		t.Fatal("two logins got the same token")
	}
	for _, tok := range []string{first, second} {
		id, err := s.Introspect(context.Background(), tok)
		if err != nil || id != (contract.Identity{Username: "Alice"}) {
			t.Fatalf("introspect: %+v %v", id, err)
		}
	}
}

func wantFields(t *testing.T, err error, want map[string][]string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Kind != apierr.Invalid || !reflect.DeepEqual(e.Fields, want) {
		t.Fatalf("got %v, want a 400 with fields %v", err, want)
	}
}

func testBadCredentials(t *testing.T, s auth.Service) {
	mustCreateUser(t, s, "bob", "correct horse", false)
	ctx := context.Background()
	for _, c := range []contract.Credentials{
		{Username: "bob", Password: "wrong horse"},
		{Username: "bob", Password: "correct horse "}, // passwords are not trimmed
		{Username: "nobody", Password: "correct horse"},
	} {
		_, err := s.Login(ctx, c)
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("%+v: %v", c, err)
		}
		wantFields(t, err, map[string][]string{"non_field_errors": {"Unable to log in with provided credentials."}})
	}
}

func testMissingFields(t *testing.T, s auth.Service) {
	ctx := context.Background()
	_, err := s.Login(ctx, contract.Credentials{})
	wantFields(t, err, map[string][]string{"username": {apierr.MsgRequired}, "password": {apierr.MsgRequired}})
	_, err = s.Login(ctx, contract.Credentials{Username: "   ", Password: "x"})
	wantFields(t, err, map[string][]string{"username": {apierr.MsgRequired}})
}

func testIntrospectRevoke(t *testing.T, s auth.Service) {
	ctx := context.Background()
	mustCreateUser(t, s, "carol", "correct horse", false)
	keep, drop := mustLogin(t, s, "carol", "correct horse"), mustLogin(t, s, "carol", "correct horse")
	if err := s.Revoke(ctx, drop); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Introspect(ctx, drop); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := s.Revoke(ctx, drop); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := s.Introspect(ctx, keep); err != nil {
		t.Fatalf("other token: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("0", 40), strings.ToUpper(keep), keep + " x"} {
		if _, err := s.Introspect(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("introspect %q: %v", bad, err)
		}
		if err := s.Revoke(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("revoke %q: %v", bad, err)
		}
	}
}

func testRoles(t *testing.T, s auth.Service) {
	ctx := context.Background()
	admin := mustCreateUser(t, s, "root", "correct horse", true)
	plain, err := s.CreateUser(ctx, contract.NewUser{Username: ptr("dave"), Password: ptr("correct horse")})
	if err != nil {
		t.Fatal(err)
	}
	if !admin.IsAdmin || plain.IsAdmin || admin.ID == plain.ID || admin.ID == 0 {
		t.Fatalf("created %+v and %+v", admin, plain)
	}
	for _, c := range []contract.Identity{{Username: "root", IsAdmin: true}, {Username: "dave"}} {
		id, err := s.Introspect(ctx, mustLogin(t, s, c.Username, "correct horse"))
		if err != nil || id != c {
			t.Fatalf("identity %+v %v, want %+v", id, err, c)
		}
	}
}

func testDuplicateUsername(t *testing.T, s auth.Service) {
	mustCreateUser(t, s, "Erin", "correct horse", false)
	_, err := s.CreateUser(context.Background(), contract.NewUser{Username: ptr("ERIN"), Password: ptr("other horse")})
	if !errors.Is(err, auth.ErrUsernameTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	wantFields(t, err, map[string][]string{"username": {"A user with that username already exists."}})
}

func testValidation(t *testing.T, s auth.Service) {
	const (
		invalid  = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
		short    = "This password is too short. It must contain at least 8 characters."
		blank    = "This field may not be blank."
		required = apierr.MsgRequired
	)
	cases := []struct {
		user contract.NewUser
		want map[string][]string
	}{
		{contract.NewUser{}, map[string][]string{"username": {required}, "password": {required}}},
		{contract.NewUser{Username: ptr(""), Password: ptr("")}, map[string][]string{"username": {blank}, "password": {blank}}},
		{contract.NewUser{Username: ptr("has space"), Password: ptr("1234567")}, map[string][]string{"username": {invalid}, "password": {short}}},
		{contract.NewUser{Username: ptr("semi;colon"), Password: ptr("correct horse")}, map[string][]string{"username": {invalid}}},
		{contract.NewUser{Username: ptr(strings.Repeat("a", 151)), Password: ptr("correct horse")},
			map[string][]string{"username": {"Ensure this field has no more than 150 characters."}}},
		{contract.NewUser{Username: ptr("frank"), Password: ptr(strings.Repeat("p", 73))},
			map[string][]string{"password": {"Ensure this password has no more than 72 bytes."}}},
	}
	for _, c := range cases {
		_, err := s.CreateUser(context.Background(), c.user)
		wantFields(t, err, c.want)
	}
	// Django's rules accept these.
	for _, ok := range []string{"a", strings.Repeat("a", 150), "x.y@z+w-v_u", "José", "ünïcødé"} {
		mustCreateUser(t, s, ok, "correct horse", false)
	}
}

// TestStoredHashesOnly reads the rows: neither tokens nor passwords are
// stored as given, on either backend.
func TestStoredHashesOnly(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			f := newFixture(t, b, auth.Options{})
			mustCreateUser(t, f.basic, "grace", "correct horse", false)
			token := mustLogin(t, f.basic, "grace", "correct horse")

			var stored string
			if err := f.db.QueryRow(`SELECT token_hash FROM tokens`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(token))
			if stored == token || stored != hex.EncodeToString(sum[:]) {
				t.Fatalf("stored %q for token %q: want its SHA-256", stored, token)
			}
			var hash string
			if err := f.db.QueryRow(`SELECT password_hash FROM users`).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(hash, "$2a$") || strings.Contains(hash, "correct horse") {
				t.Fatalf("password stored as %q, want a bcrypt hash", hash)
			}
		})
	}
}

func TestThrottlesRepeatedFailuresPerUsername(t *testing.T) {
	f := sqlite(t, auth.Options{UserThrottle: auth.ThrottleRule{Burst: 3, Every: time.Minute}})
	s, ctx := f.basic, context.Background()
	mustCreateUser(t, s, "heidi", "correct horse", false)
	for range 3 {
		if _, err := s.Login(ctx, contract.Credentials{Username: "heidi", Password: "wrong horse"}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure: %v", err)
		}
	}
	// Even the right password waits now, and so does the name in other case.
	for _, name := range []string{"heidi", "HEIDI"} {
		_, err := s.Login(ctx, contract.Credentials{Username: name, Password: "correct horse"})
		var e *apierr.Error
		if !errors.Is(err, auth.ErrThrottled) || !errors.As(err, &e) || e.Header.Get("Retry-After") != "60" {
			t.Fatalf("%s after 3 failures: %v", name, err)
		}
	}
	// Others are not affected.
	mustCreateUser(t, s, "ivan", "correct horse", false)
	mustLogin(t, s, "ivan", "correct horse")

	f.clock.Advance(time.Minute)
	mustLogin(t, s, "heidi", "correct horse")
}

func TestThrottlesOneClientTryingManyUsernames(t *testing.T) {
	f := sqlite(t, auth.Options{ClientThrottle: auth.ThrottleRule{Burst: 2, Every: time.Minute}})
	s := f.basic
	mustCreateUser(t, s, "judy", "correct horse", false)
	attacker := auth.ContextWithClientAddr(context.Background(), "192.0.2.1")
	for _, name := range []string{"a1", "a2"} {
		if _, err := s.Login(attacker, contract.Credentials{Username: name, Password: "guess1234"}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure: %v", err)
		}
	}
	if _, err := s.Login(attacker, contract.Credentials{Username: "judy", Password: "correct horse"}); !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("third username from the same client: %v", err)
	}
	other := auth.ContextWithClientAddr(context.Background(), "192.0.2.2")
	if _, err := s.Login(other, contract.Credentials{Username: "judy", Password: "correct horse"}); err != nil {
		t.Fatalf("another client: %v", err)
	}
}

// TestProgressiveDelayGrowsPerClientAndSparesOthers: past the username
// burst, each failure from one client doubles that client's wait for the
// username, up to the cap; the user logging in from another client is not
// delayed, and a correct login clears the delay.
func TestProgressiveDelayGrowsPerClientAndSparesOthers(t *testing.T) {
	f := sqlite(t, auth.Options{UserThrottle: auth.ThrottleRule{Burst: 2, Every: 10 * time.Second}, LoginBackoffCap: 80 * time.Second})
	s := f.basic
	mustCreateUser(t, s, "kim", "correct horse", false)
	guesser := auth.ContextWithClientAddr(context.Background(), "192.0.2.1")
	wrong := contract.Credentials{Username: "kim", Password: "wrong horse"}
	fail := func() {
		t.Helper()
		if _, err := s.Login(guesser, wrong); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	retryAfter := func(ctx context.Context, c contract.Credentials) string {
		t.Helper()
		_, err := s.Login(ctx, c)
		var e *apierr.Error
		if !errors.Is(err, auth.ErrThrottled) || !errors.As(err, &e) {
			t.Fatalf("an attempt while waiting: %v", err)
		}
		return e.Header.Get("Retry-After")
	}
	fail()
	fail()
	var waits []string
	for range 6 {
		w := retryAfter(guesser, wrong)
		waits = append(waits, w)
		secs, _ := strconv.Atoi(w)
		f.clock.Advance(time.Duration(secs) * time.Second)
		fail()
	}
	if want := []string{"10", "10", "20", "40", "80", "80"}; !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v (doubling to the cap)", waits, want)
	}
	// Even the right password waits from the guessing client...
	if w := retryAfter(guesser, contract.Credentials{Username: "kim", Password: "correct horse"}); w != "80" {
		t.Fatalf("the right password from the guesser: Retry-After %s", w)
	}
	// ...but not from the user's own.
	own := auth.ContextWithClientAddr(context.Background(), "198.51.100.7")
	if _, err := s.Login(own, contract.Credentials{Username: "kim", Password: "correct horse"}); err != nil {
		t.Fatalf("the user from another client: %v", err)
	}
	// Once waited out, a correct login clears the delay.
	f.clock.Advance(80 * time.Second)
	if _, err := s.Login(guesser, contract.Credentials{Username: "kim", Password: "correct horse"}); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	fail()
}

func TestEnsureAdmin(t *testing.T) {
	f := sqlite(t, auth.Options{})
	s, ctx := f.basic, context.Background()

	u, err := s.EnsureAdmin(ctx, "boss", "first password")
	if err != nil || !u.IsAdmin || u.Username != "boss" {
		t.Fatalf("create: %+v %v", u, err)
	}
	token := mustLogin(t, s, "boss", "first password")

	// Again with the same settings (a restart, another replica): no change.
	again, err := s.EnsureAdmin(ctx, "boss", "first password")
	if err != nil || again != u {
		t.Fatalf("again: %+v %v", again, err)
	}
	if _, err := s.Introspect(ctx, token); err != nil {
		t.Fatalf("token after a no-op ensure: %v", err)
	}

	// A new password replaces the old and revokes its tokens.
	if _, err := s.EnsureAdmin(ctx, "BOSS", "second password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Introspect(ctx, token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token after a password reset: %v", err)
	}
	if _, err := s.Login(ctx, contract.Credentials{Username: "boss", Password: "first password"}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("old password: %v", err)
	}
	mustLogin(t, s, "boss", "second password")

	// An existing user is promoted, keeping the password it has.
	mustCreateUser(t, s, "mallory", "correct horse", false)
	token = mustLogin(t, s, "mallory", "correct horse")
	if _, err := s.EnsureAdmin(ctx, "mallory", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if id, err := s.Introspect(ctx, token); err != nil || !id.IsAdmin {
		t.Fatalf("promoted: %+v %v", id, err)
	}

	if _, err := s.EnsureAdmin(ctx, "boss", "short"); err == nil {
		t.Fatal("a too-short admin password was accepted")
	}
}

func TestOldestTokensGoPastTheLimit(t *testing.T) {
	f := sqlite(t, auth.Options{MaxTokensPerUser: 3})
	mustCreateUser(t, f.basic, "ivy", "correct horse", false)
	var tokens []string
	for range 5 {
		tokens = append(tokens, mustLogin(t, f.basic, "ivy", "correct horse"))
		f.clock.Advance(time.Second)
	}
	for i, tok := range tokens {
		_, err := f.basic.Introspect(context.Background(), tok)
		if kept := i >= 2; kept != (err == nil) {
			t.Fatalf("token %d: kept=%v, err %v", i, kept, err)
		}
	}
}

func TestLoginUpgradesTheHashCost(t *testing.T) {
	f := sqlite(t, auth.Options{BcryptCost: bcrypt.MinCost})
	mustCreateUser(t, f.basic, "jack", "correct horse", false)
	stronger, err := auth.NewBasicService(store.New(f.db, "sqlite"), auth.Options{BcryptCost: bcrypt.MinCost + 1})
	if err != nil {
		t.Fatal(err)
	}
	mustLogin(t, stronger, "jack", "correct horse")
	var hash string
	if err := f.db.QueryRow(`SELECT password_hash FROM users`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(hash)); cost != bcrypt.MinCost+1 {
		t.Fatalf("hash cost %d after login, want %d", cost, bcrypt.MinCost+1)
	}
	mustLogin(t, stronger, "jack", "correct horse")
}

// racingStore hides a user from the first lookup, as when another replica
// creates the admin between this one's lookup and insert.
type racingStore struct {
	auth.Store
	raced bool
}

func (s *racingStore) UserByUsername(ctx context.Context, username string) (auth.UserRecord, error) {
	if !s.raced {
		s.raced = true
		return auth.UserRecord{}, auth.ErrUserNotFound
	}
	return s.Store.UserByUsername(ctx, username)
}

func TestEnsureAdminLosingTheRaceToCreate(t *testing.T) {
	f := sqlite(t, auth.Options{})
	mustCreateUser(t, f.basic, "boss", "other replica's", false)
	s, err := auth.NewBasicService(&racingStore{Store: store.New(f.db, "sqlite")}, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.EnsureAdmin(context.Background(), "boss", "boss password")
	if err != nil || !u.IsAdmin {
		t.Fatalf("ensure after losing the race: %+v %v", u, err)
	}
	mustLogin(t, s, "boss", "boss password")
}

// countingStore counts the lookups that precede a password check.
type countingStore struct {
	auth.Store
	lookups atomic.Int64
}

func (s *countingStore) UserByUsername(ctx context.Context, username string) (auth.UserRecord, error) {
	s.lookups.Add(1)
	return s.Store.UserByUsername(ctx, username)
}

// TestConcurrentWrongLoginsAreBoundedBeforeThePasswordCheck sends 40 wrong
// logins for one user from one client at once: only the burst reaches the
// store and bcrypt, since each takes its throttle slot before the check.
func TestConcurrentWrongLoginsAreBoundedBeforeThePasswordCheck(t *testing.T) {
	f := sqlite(t, auth.Options{})
	mustCreateUser(t, f.basic, "kim", "correct horse", false)
	counted := &countingStore{Store: store.New(f.db, "sqlite")}
	s, err := auth.NewBasicService(counted, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	wantWrongLoginBurstBounded(t, s, counted)
}

// wantWrongLoginBurstBounded sends 40 concurrent wrong logins for kim from
// one client to s: at most the burst of 5 may reach counted (the store, and
// so bcrypt), and kim from another client still logs in.
func wantWrongLoginBurstBounded(t *testing.T, s auth.Service, counted *countingStore) {
	t.Helper()
	attacker := auth.ContextWithClientAddr(context.Background(), "192.0.2.9")
	throttled := concurrentWrongLogins(t, s, attacker, "kim", 40)
	if n := counted.lookups.Load(); n > 5 {
		t.Errorf("%d of 40 concurrent wrong logins reached the store, want at most the burst of 5", n)
	}
	if throttled < 35 {
		t.Errorf("only %d of 40 were throttled", throttled)
	}
	// The attacker cannot lock kim out: kim, from elsewhere, logs in.
	kim := auth.ContextWithClientAddr(context.Background(), "198.51.100.7")
	if _, err := s.Login(kim, contract.Credentials{Username: "kim", Password: "correct horse"}); err != nil {
		t.Fatalf("kim from another client: %v", err)
	}
}

// concurrentWrongLogins sends n wrong logins for username from ctx's client
// at once, and counts those throttled; any other answer than throttled or
// bad credentials fails the test.
func concurrentWrongLogins(t *testing.T, s auth.Service, ctx context.Context, username string, n int) int64 {
	t.Helper()
	var wg sync.WaitGroup
	var throttled atomic.Int64
	for range n {
		wg.Go(func() {
			_, err := s.Login(ctx, contract.Credentials{Username: username, Password: "wrong horse"})
			switch {
			case errors.Is(err, auth.ErrThrottled):
				throttled.Add(1)
			case !errors.Is(err, auth.ErrBadCredentials):
				t.Errorf("wrong login: %v", err)
			}
		})
	}
	wg.Wait()
	return throttled.Load()
}

// replicas are two auth services over one database whose login throttles
// share redis at addr, as two auth-svc pods do.
func replicas(t *testing.T, addr string, opts auth.Options) (*auth.BasicService, *auth.BasicService, *countingStore) {
	t.Helper()
	shared := redisx.New(redisx.Settings{Addr: addr, Budget: 500 * time.Millisecond, BreakerOpen: time.Second, Name: "auth-throttle"}, redisx.Hooks{})
	t.Cleanup(func() { shared.Close() })
	opts.SharedThrottle, opts.ThrottleNamespace, opts.BcryptCost = shared, redistest.Namespace(), bcrypt.MinCost
	f := sqlite(t, opts)
	counted := &countingStore{Store: store.New(f.db, "sqlite")}
	second, err := auth.NewBasicService(counted, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f.basic, second, counted
}

// TestFailedLoginsCountOnEveryReplicaThroughRedis: failures on one replica
// count on the other, and correct logins on either hand their slot back.
func TestFailedLoginsCountOnEveryReplicaThroughRedis(t *testing.T) {
	a, b, _ := replicas(t, redistest.RedisAddr(t), auth.Options{UserThrottle: auth.ThrottleRule{Burst: 3, Every: time.Hour}})
	mustCreateUser(t, a, "lou", "correct horse", false)
	client := auth.ContextWithClientAddr(context.Background(), "192.0.2.4")
	right := contract.Credentials{Username: "lou", Password: "correct horse"}
	for i := range 6 { // twice the burst: each success is refunded
		s := []*auth.BasicService{a, b}[i%2]
		if _, err := s.Login(client, right); err != nil {
			t.Fatalf("correct login %d: %v", i, err)
		}
	}
	for i, s := range []*auth.BasicService{a, a, b} {
		if _, err := s.Login(client, contract.Credentials{Username: "lou", Password: "wrong horse"}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	for i, s := range []*auth.BasicService{a, b} {
		if _, err := s.Login(client, right); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("replica %d after 3 failures across both: %v, want throttled", i, err)
		}
	}
}

// TestRedisDownTheLocalThrottleStillBoundsABurst: with nothing listening at
// the Redis address, each replica's own buckets bound a burst of wrong
// logins before the password check.
func TestRedisDownTheLocalThrottleStillBoundsABurst(t *testing.T) {
	down := "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t))
	a, b, counted := replicas(t, down, auth.Options{})
	mustCreateUser(t, a, "kim", "correct horse", false)
	wantWrongLoginBurstBounded(t, b, counted)
}

func TestASuccessfulLoginHandsItsSlotBack(t *testing.T) {
	f := sqlite(t, auth.Options{UserThrottle: auth.ThrottleRule{Burst: 2, Every: time.Hour}})
	mustCreateUser(t, f.basic, "lea", "correct horse", false)
	for range 5 {
		mustLogin(t, f.basic, "lea", "correct horse")
	}
	if _, err := f.basic.Login(context.Background(), contract.Credentials{Username: "lea", Password: "wrong horse"}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("a wrong password after five right ones: %v", err)
	}
}

func TestOverlongUsernameIsRefusedBeforeAnyLookup(t *testing.T) {
	f := sqlite(t, auth.Options{})
	counted := &countingStore{Store: store.New(f.db, "sqlite")}
	s, err := auth.NewBasicService(counted, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Login(context.Background(), contract.Credentials{Username: strings.Repeat("x", 10000), Password: "whatever1"})
	if apierr.KindOf(err) != apierr.Invalid || counted.lookups.Load() != 0 {
		t.Fatalf("overlong username: %v after %d lookups, want a 400 and none", err, counted.lookups.Load())
	}
}
