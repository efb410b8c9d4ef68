package app_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/redisx/redistest"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/app"
	"github.com/moviesplatform/gateway/upstream/upstreamtest"
)

func redisConfig(t *testing.T, addr string) app.Config {
	cfg := defaults(t)
	cfg.Redis.Addr, cfg.RedisNamespace = addr, redistest.Namespace()
	cfg.CacheTTL = time.Hour // the L1 never expires here: what a replica learns, it learns from Redis
	return cfg
}

func TestRedisSharesAnswersBetweenReplicasAndWritesDropThem(t *testing.T) {
	cfg := redisConfig(t, redistest.RedisAddr(t))
	catA, catB := catalogtest.NewCatalog(catalogtest.Seed(3)...), catalogtest.NewCatalog(catalogtest.Seed(3)...)
	a := newApp(t, cfg, app.Deps{Catalog: catA, Auth: authtest.NewAuth()})
	// replica is a new gateway replica: nothing in memory, the same Redis.
	replica := func() http.Handler { return newApp(t, cfg, app.Deps{Catalog: catB, Auth: authtest.NewAuth()}).Handler }

	if w := get(t, a.Handler, "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	// A's fill reaches Redis just after its answer.
	waitFor(t, func() bool { return servedWithout(t, replica(), catB, "/api/movie/2/") })

	// A write through A drops the answer in Redis for every replica.
	w := do(t, a.Handler, http.MethodPatch, "/api/movie/2/", `{"name": "Renamed"}`, authtest.AdminToken)
	if w.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", w.Code, w.Body.String())
	}
	if servedWithout(t, replica(), catB, "/api/movie/2/") {
		t.Fatal("an answer from before the write was served from Redis")
	}
}

func do(t *testing.T, h http.Handler, method, path, body, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Token "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// servedWithout tells whether h answers path without reading cat.
func servedWithout(t *testing.T, h http.Handler, cat *catalogtest.Catalog, path string) bool {
	before := cat.Reads.Load()
	if w := get(t, h, path); w.Code != http.StatusOK {
		t.Fatalf("%s: %d", path, w.Code)
	}
	return cat.Reads.Load() == before
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// silentRedis accepts connections and never answers.
func silentRedis(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

func TestRedisDownOrSilentStillServes(t *testing.T) {
	closed := upstreamtest.ClosedURL(t)[len("http://"):]
	for name, addr := range map[string]string{"down": closed, "silent": silentRedis(t)} {
		t.Run(name, func(t *testing.T) {
			cfg := redisConfig(t, addr)
			cfg.RedisTimeout = 20 * time.Millisecond
			cat := catalogtest.NewCatalog(catalogtest.Seed(3)...)
			a := newApp(t, cfg, app.Deps{Catalog: cat, Auth: authtest.NewAuth()})
			for range 8 { // past the breaker opening too
				if w := get(t, a.Handler, "/api/movies/?page_size=1&cursor="); w.Code != http.StatusOK {
					t.Fatalf("%d %s", w.Code, w.Body.String())
				}
				if w := do(t, a.Handler, http.MethodPatch, "/api/movie/1/", `{"imdb_score": 2}`, authtest.AdminToken); w.Code != http.StatusOK {
					t.Fatalf("write with Redis %s: %d %s", name, w.Code, w.Body.String())
				}
			}
		})
	}
}

// A gateway given the Redis ACL user's credentials is ready and shares its
// answers through that Redis; one given a wrong password is unready, says
// why on /readyz, and still answers from memory.
func TestRedisCredentials(t *testing.T) {
	addr := redistest.StartServer(t, "")
	ready := func(a *app.App) (bool, string) {
		w := httptest.NewRecorder()
		a.Health.Ready(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w.Code == http.StatusOK, w.Body.String()
	}
	cfg := redisConfig(t, addr)
	cfg.RedisNamespace = "movies:gateway-test"
	cfg.Redis.Username, cfg.Redis.Password = redistest.ServiceUser, redistest.ServicePassword
	cat := catalogtest.NewCatalog(catalogtest.Seed(3)...)
	good := newApp(t, cfg, app.Deps{Catalog: cat, Auth: authtest.NewAuth()})
	if ok, body := ready(good); !ok {
		t.Fatalf("right credentials: unready: %s", body)
	}
	if w := get(t, good.Handler, "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	other := catalogtest.NewCatalog(catalogtest.Seed(3)...)
	waitFor(t, func() bool {
		return servedWithout(t, newApp(t, cfg, app.Deps{Catalog: other, Auth: authtest.NewAuth()}).Handler, other, "/api/movie/2/")
	})

	cfg.Redis.Password = "wrong"
	bad := newApp(t, cfg, app.Deps{Catalog: catalogtest.NewCatalog(catalogtest.Seed(3)...), Auth: authtest.NewAuth()})
	ok, body := ready(bad)
	if ok || !strings.Contains(body, "WRONGPASS") {
		t.Fatalf("wrong password: ready=%v %s", ok, body)
	}
	if w := get(t, bad.Handler, "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("wrong Redis password must not stop serving: %d %s", w.Code, w.Body.String())
	}
}
