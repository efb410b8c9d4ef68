package auth_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// clock is a settable time source, so throttling tests never wait.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a service over a fresh database of one backend.
type fixture struct {
	basic *auth.BasicService
	db    *sql.DB
	clock *clock
}

func newFixture(t *testing.T, b sqltest.Backend, opts auth.Options) fixture {
	t.Helper()
	db := sqltest.Open(t, b)
	if err := store.Migrate(context.Background(), db, b.Driver); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	opts.Now = c.Now
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.MinCost
	}
	s, err := auth.NewBasicService(store.New(db, b.Driver), opts)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{basic: s, db: db, clock: c}
}

// sqlite is the fixture most tests need: the service logic does not depend
// on the backend, which the store conformance suite covers.
func sqlite(t *testing.T, opts auth.Options) fixture {
	return newFixture(t, sqltest.Backend{Driver: "sqlite", DSN: sqltest.SQLite}, opts)
}

// serviceKeys are the keys of the test servers and their callers.
func serviceKeys(t testing.TB) *servicetokentest.Keys {
	_, k := servicetokentest.Shared(t)
	return k
}

// callerOf is who calls an auth-svc route in these tests: an operator
// creates users (no admin actor needed), the gateway does the rest.
func callerOf(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, strings.TrimSuffix(contract.RouteAuthUsers, "/")) {
		return servicetoken.Operator
	}
	return servicetoken.Gateway
}

// serve exposes s through the real HTTP transport.
func serve(t *testing.T, s auth.Service) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(auth.NewHTTPHandler(auth.MakeEndpoints(s), logging.Discard(), nil, serviceKeys(t).Guard(auth.ServiceName)))
	t.Cleanup(srv.Close)
	return srv
}

// remote is s seen through its HTTP transport and client.
func remote(t *testing.T, s auth.Service) auth.Service {
	t.Helper()
	srv := serve(t, s)
	c, err := auth.NewHTTPClient(srv.URL, serviceKeys(t).ClientAs(callerOf, auth.ServiceName, srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c.Service()
}

func ptr[T any](v T) *T { return &v }

func mustCreateUser(t *testing.T, s auth.Service, username, password string, admin bool) contract.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), contract.NewUser{Username: &username, Password: &password, IsAdmin: &admin})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

func mustLogin(t *testing.T, s auth.Service, username, password string) string {
	t.Helper()
	tok, err := s.Login(context.Background(), contract.Credentials{Username: username, Password: password})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return tok.Token
}
