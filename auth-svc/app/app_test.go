package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/auth-svc/app"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/redisx/redistest"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func build(t *testing.T, cfg app.Config, log *slog.Logger) *app.App {
	t.Helper()
	a, err := app.New(context.Background(), cfg, log, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func baseConfig(t *testing.T, driver, dsn string) app.Config {
	keyDir, _ := servicetokentest.Shared(t)
	return app.Config{DBDriver: driver, DBDSN: dsn, Migrate: true, BcryptCost: 4,
		Addr: "127.0.0.1:0", Identity: servicetoken.Config{TrustedKeys: keyDir}}
}

func login(t *testing.T, h http.Handler, username, password string) int {
	t.Helper()
	body := `{"username":"` + username + `","password":"` + password + `"}`
	req := httptest.NewRequest(http.MethodPost, contract.RouteAuthToken, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	_, keys := servicetokentest.Shared(t)
	req.Header.Set("Authorization", keys.Header(servicetoken.Gateway, "auth", servicetoken.Actor{}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestConfiguredAdminOnEveryBackend(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			cfg := baseConfig(t, string(b.Driver), b.DSN(t))
			if err := app.Migrate(context.Background(), cfg, logging.Discard()); err != nil {
				t.Fatal(err)
			}
			cfg.Migrate = false // the schema is there already
			cfg.AdminUsername, cfg.AdminPassword = "root", "root password"
			a := build(t, cfg, logging.Discard())
			if code := login(t, a.Handler, "root", "root password"); code != http.StatusOK {
				t.Fatalf("admin login: %d", code)
			}
			id, err := a.Service.Introspect(context.Background(), "")
			if err == nil {
				t.Fatalf("empty token introspected as %+v", id)
			}
			rec := httptest.NewRecorder()
			a.Health.Ready(rec, httptest.NewRequest(http.MethodGet, contract.RouteReadyz, nil))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"database":"ok"`) {
				t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestDevAdminPasswordIsLoggedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	cfg := baseConfig(t, "sqlite", "file:"+filepath.Join(dir, "auth.db"))
	cfg.DevAdmin = true
	cfg.DevAdminFile = filepath.Join(dir, "data", "dev-admin.txt")

	var first bytes.Buffer
	a := build(t, cfg, slog.New(slog.NewTextHandler(&first, nil)))
	raw, err := os.ReadFile(cfg.DevAdminFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(cfg.DevAdminFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev admin file mode %v", fi.Mode().Perm())
	}
	var password string
	for _, line := range strings.Split(string(raw), "\n") {
		if p, ok := strings.CutPrefix(line, "MOVIES_ADMIN_PASSWORD="); ok {
			password = p
		}
	}
	if len(password) < 16 || !strings.Contains(string(raw), "MOVIES_ADMIN_USERNAME=admin\n") {
		t.Fatalf("dev admin file:\n%s", raw)
	}
	if !strings.Contains(first.String(), password) {
		t.Fatal("the first start did not log the dev admin password")
	}
	if code := login(t, a.Handler, "admin", password); code != http.StatusOK {
		t.Fatalf("dev admin login: %d", code)
	}
	a.Close()

	var second bytes.Buffer
	b := build(t, cfg, slog.New(slog.NewTextHandler(&second, nil)))
	if strings.Contains(second.String(), password) {
		t.Fatal("a later start logged the password again")
	}
	if code := login(t, b.Handler, "admin", password); code != http.StatusOK {
		t.Fatalf("dev admin login after restart: %d", code)
	}
}

func TestConfiguredAdminWinsOverDevAdmin(t *testing.T) {
	dir := t.TempDir()
	cfg := baseConfig(t, "sqlite", "file:"+filepath.Join(dir, "auth.db"))
	cfg.DevAdmin, cfg.DevAdminFile = true, filepath.Join(dir, "dev-admin.txt")
	cfg.AdminUsername, cfg.AdminPassword = "boss", "boss password"
	a := build(t, cfg, logging.Discard())
	if _, err := os.Stat(cfg.DevAdminFile); !os.IsNotExist(err) {
		t.Fatalf("dev admin file written although an admin is configured: %v", err)
	}
	if code := login(t, a.Handler, "admin", "anything"); code != http.StatusBadRequest {
		t.Fatalf("dev admin exists: %d", code)
	}
}

func TestBadConfig(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "auth.db")
	for name, cfg := range map[string]app.Config{
		"admin without password": {DBDriver: "sqlite", DBDSN: dsn, Migrate: true, AdminUsername: "root"},
		"short admin password":   {DBDriver: "sqlite", DBDSN: dsn, Migrate: true, AdminUsername: "root", AdminPassword: "short"},
		"unknown driver":         {DBDriver: "postgres", DBDSN: dsn},
	} {
		if a, err := app.New(context.Background(), cfg, logging.Discard(), prometheus.NewRegistry(), nil); err == nil {
			a.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestReplicasShareTheLoginThrottleThroughRedis: two auth-svc apps on one
// database and one Redis (MOVIES_AUTH_REDIS_*): failed logins through one
// count on the other.
func TestReplicasShareTheLoginThrottleThroughRedis(t *testing.T) {
	cfg := baseConfig(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "auth.db"))
	cfg.AdminUsername, cfg.AdminPassword = "root", "root password"
	cfg.Redis.Addr, cfg.RedisNamespace = redistest.RedisAddr(t), redistest.Namespace()
	cfg.RedisTimeout, cfg.RedisBreakerOpen = time.Second, time.Second
	a, b := build(t, cfg, logging.Discard()), build(t, cfg, logging.Discard())
	for i, h := range []http.Handler{a.Handler, b.Handler, a.Handler, b.Handler, a.Handler} { // the burst of 5
		if code := login(t, h, "root", "wrong password"); code != http.StatusBadRequest {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	for i, h := range []http.Handler{a.Handler, b.Handler} {
		if code := login(t, h, "root", "root password"); code != http.StatusTooManyRequests {
			t.Fatalf("replica %d after 5 failures across both: %d, want 429", i, code)
		}
	}
}
