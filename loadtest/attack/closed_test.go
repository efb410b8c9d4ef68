package attack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestClosedCountsEveryAnswerAfterTheWarmup runs a short closed loop against
// a server that fails one request in ten: the counts, statuses and
// percentiles add up, and nothing outside loopback is accepted.
func TestClosedCountsEveryAnswerAfterTheWarmup(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if served.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	defer srv.Close()
	res, err := Closed(context.Background(), ClosedPlan{Target: srv.URL, Path: "/api/movie/1/", Workers: 4,
		Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || int64(res.Requests) > served.Load() {
		t.Fatalf("requests %d, served %d: the warm-up's must not count", res.Requests, served.Load())
	}
	if res.Status["200"]+res.Status["503"] != res.Requests || res.Errors != res.Status["503"] || res.Errors == 0 {
		t.Fatalf("statuses %v, errors %d of %d", res.Status, res.Errors, res.Requests)
	}
	if res.Rate <= 0 || res.Latency["p50"] > res.Latency["p99"] || res.Latency["p99"] > res.Latency["max"] {
		t.Fatalf("rate %v, latencies %v", res.Rate, res.Latency)
	}
	if _, err := Closed(context.Background(), ClosedPlan{Target: "http://192.0.2.1", Duration: time.Second}); err == nil {
		t.Fatal("a non-loopback target was accepted")
	}
	if _, err := Closed(context.Background(), ClosedPlan{Target: srv.URL}); err == nil {
		t.Fatal("an unbounded run was accepted")
	}
}
