package attack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviesplatform/loadtest/model"
)

func TestCheckLoopback(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8080":       true,
		"http://127.3.4.5/":           true,
		"https://[::1]:8443/api":      true,
		"http://localhost:8080":       false, // names are not resolved, so not trusted
		"http://10.0.0.1:8080":        false,
		"http://192.168.1.10":         false,
		"http://example.com":          false,
		"http://[::ffff:8.8.8.8]:80/": false,
		"ftp://127.0.0.1/":            false,
		"127.0.0.1:8080":              false,
	} {
		if _, err := CheckLoopback(target); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) error = %v, want ok=%v", target, err, ok)
		}
	}
	if _, err := Run(context.Background(), Plan{Target: "http://10.1.2.3:80", Rate: 1, Duration: time.Second},
		func() model.Request { return model.Request{Method: "GET", Path: "/"} }); err == nil {
		t.Fatal("Run accepted a target off the loopback")
	}
}

// A redirect off the loopback is not followed, and the dialer would refuse it.
func TestNoConnectionLeavesTheLoopback(t *testing.T) {
	if err := loopbackOnly("tcp", "10.0.0.1:80", nil); err == nil {
		t.Fatal("dialer control allowed 10.0.0.1")
	}
	if err := loopbackOnly("tcp", "127.0.0.1:80", nil); err != nil {
		t.Fatal(err)
	}
}

func TestPlanIsBounded(t *testing.T) {
	for _, p := range []Plan{
		{Target: "http://127.0.0.1:1", Rate: 10},                                        // no duration
		{Target: "http://127.0.0.1:1", Duration: time.Second},                           // no rate
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second, Ramp: time.Hour}, // ramp beyond the end
	} {
		if _, err := p.check(); err == nil {
			t.Errorf("plan %+v accepted", p)
		}
	}
}

func TestRampPacer(t *testing.T) {
	p := rampPacer{PerSecond: 100, Ramp: 10 * time.Second, Max: 1000}
	if got := p.hits(10 * time.Second); got != 500 {
		t.Fatalf("hits after the ramp = %v, want 500", got)
	}
	if got := p.hits(12 * time.Second); got != 700 {
		t.Fatalf("hits 2s after the ramp = %v, want 700", got)
	}
	for _, n := range []float64{1, 50, 499, 500, 900} {
		if back := p.hits(p.at(n)); back < n-0.01 || back > n+0.01 {
			t.Fatalf("hits(at(%v)) = %v", n, back)
		}
	}
	if _, stop := p.Pace(time.Hour, 1000); !stop {
		t.Fatal("the pacer did not stop at the request bound")
	}
	if r := p.Rate(5 * time.Second); r != 50 {
		t.Fatalf("rate mid-ramp = %v, want 50", r)
	}
}

// A small bounded run against a local server: the request bound holds, the
// summary counts every request by endpoint and status, and the pictures
// are written.
func TestBoundedRunWritesTheReport(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/api/movie/") && r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()

	var n atomic.Int64
	next := func() model.Request {
		if n.Add(1)%2 == 0 {
			return model.Request{Method: "GET", Path: "/api/movie/7/"}
		}
		return model.Request{Method: "GET", Path: "/api/movies/?search=star", Token: "t"}
	}
	rep, err := Run(context.Background(), Plan{Target: srv.URL, Rate: 400, Ramp: 200 * time.Millisecond,
		Duration: 5 * time.Second, MaxRequests: 120, Name: "test"}, next)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := rep.WriteFiles(dir, map[string]string{"machine": "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 120 || hits.Load() != 120 {
		t.Fatalf("%d requests reported, %d served; want 120", s.Requests, hits.Load())
	}
	if d, q := s.Endpoints["detail"], s.Endpoints["search"]; d.Requests != 60 || q.Requests != 60 ||
		d.Status["404"] != 60 || q.Status["200"] != 60 {
		t.Fatalf("endpoints: %+v", s.Endpoints)
	}
	if s.Latency["p99"] <= 0 || s.Latency["p99.9"] < s.Latency["p50"] || len(s.Timeline) == 0 {
		t.Fatalf("latencies %v, timeline %v", s.Latency, s.Timeline)
	}
	var back Summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Requests != 120 || back.Notes["machine"] != "test" {
		t.Fatalf("summary.json: %v %+v", err, back)
	}
	for _, name := range []string{"latency.html", "percentiles.html"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 500 || !strings.Contains(strings.ToLower(string(b)), "<html") && !strings.Contains(string(b), "<svg") {
			t.Fatalf("%s is not a page: %.200s", name, b)
		}
	}
}

func TestRunStopsWithTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Plan{Target: srv.URL, Rate: 50, Duration: time.Minute},
		func() model.Request { return model.Request{Method: "GET", Path: "/"} })
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatal("the run did not stop with its context")
	}
}
