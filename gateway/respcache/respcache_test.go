package respcache_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/gateway/respcache"
)

func entry(size int, movie int64) *respcache.Entry {
	return &respcache.Entry{Body: make([]byte, size), Movie: movie}
}

func TestHitsMissesAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := respcache.New(respcache.Settings{TTL: time.Second, MaxBytes: 1 << 20}, reg)
	e, gen := c.Get("k")
	if e != nil {
		t.Fatal("hit on an empty cache")
	}
	c.Put("k", gen, entry(10, 1))
	if e, _ := c.Get("k"); e == nil {
		t.Fatal("miss after a put")
	}
	c.Bypass()
	want := `
# HELP gateway_response_cache_lookups_total Public GETs by how the gateway's answer cache took them: hit, miss, or bypass (an admin, or a token that did not check out).
# TYPE gateway_response_cache_lookups_total counter
gateway_response_cache_lookups_total{result="bypass"} 1
gateway_response_cache_lookups_total{result="hit"} 1
gateway_response_cache_lookups_total{result="miss"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gateway_response_cache_lookups_total"); err != nil {
		t.Fatal(err)
	}
}

func TestAFillStartedBeforeAWriteIsNotStored(t *testing.T) {
	c := respcache.New(respcache.Settings{TTL: time.Second, MaxBytes: 1 << 20}, nil)
	_, gen := c.Get("m 1")
	c.DropMovie(1) // the write lands while the fill is on its way
	c.Put("m 1", gen, entry(10, 1))
	if e, _ := c.Get("m 1"); e != nil {
		t.Fatal("an answer older than the write was stored")
	}
}

func TestDropMovieKeepsOtherMovies(t *testing.T) {
	c := respcache.New(respcache.Settings{TTL: time.Second, MaxBytes: 1 << 20}, nil)
	for k, m := range map[string]int64{"m 1": 1, "m 2": 2, "list": 0} {
		_, gen := c.Get(k)
		c.Put(k, gen, entry(10, m))
	}
	c.DropMovie(1)
	for k, live := range map[string]bool{"m 1": false, "m 2": true, "list": true} {
		if e, _ := c.Get(k); (e != nil) != live {
			t.Errorf("%s cached: %v, want %v", k, e != nil, live)
		}
	}
}

func TestBytesAreBounded(t *testing.T) {
	const max = 64 << 10
	c := respcache.New(respcache.Settings{TTL: time.Hour, MaxBytes: max}, nil)
	for i := range 100 {
		_, gen := c.Get(strconv.Itoa(i))
		c.Put(strconv.Itoa(i), gen, entry(3000, int64(i)))
	}
	held := 0
	for i := range 100 {
		if e, _ := c.Get(strconv.Itoa(i)); e != nil {
			held += len(e.Body)
		}
	}
	if held == 0 || held > max {
		t.Fatalf("%d bytes held, bound %d", held, max)
	}
	// One answer too big for its share is not kept at all.
	_, gen := c.Get("big")
	c.Put("big", gen, entry(max/2, 0))
	if e, _ := c.Get("big"); e != nil {
		t.Fatal("an answer of half the bound was kept")
	}
}

func TestOffWithoutTTL(t *testing.T) {
	var c *respcache.Cache = respcache.New(respcache.Settings{MaxBytes: 1 << 20}, nil)
	if c != nil {
		t.Fatal("a cache without a TTL")
	}
	c.Put("k", 0, entry(1, 0)) // a nil cache takes calls and keeps nothing
	if e, _ := c.Get("k"); e != nil {
		t.Fatal("nil cache hit")
	}
}

// The failure series and the Redis pool exist from the start, before any
// call: the dashboards and rate() see the first failure.
func TestSharedSeriesExistFromStart(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	sh := respcache.NewShared(respcache.SharedSettings{Addr: "127.0.0.1:1", Namespace: "init", TTL: time.Second, Budget: time.Second, BreakerOpen: time.Second}, reg)
	defer sh.Close()
	for name, want := range map[string]int{"gateway_response_cache_redis_failures_total": 4, "redis_pool_connections": 1, "redis_pool_timeouts_total": 1} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series, err %v; want %d", name, n, err, want)
		}
	}
}
