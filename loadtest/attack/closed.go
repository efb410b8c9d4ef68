package attack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// ClosedPlan is a closed-loop load: Workers clients, each on its own
// keep-alive connection, each sending its next request as soon as the last
// one is answered, for Duration. No rate is asked: the server's cost per
// request shows as the throughput it reaches at saturation, which an
// open-loop (paced) run below saturation never shows.
type ClosedPlan struct {
	// Target is the base URL, e.g. http://127.0.0.1:8080; loopback only.
	Target string
	// Path is the one path every request GETs.
	Path string
	// Workers is the number of concurrent clients (default 16).
	Workers int
	// Warmup runs before the measured Duration; its requests are not counted.
	Warmup   time.Duration
	Duration time.Duration
	// Timeout is the most one request may take (default 10s).
	Timeout time.Duration
}

// ClosedResult is what a closed-loop run measured. Latencies in
// milliseconds.
type ClosedResult struct {
	Target   string             `json:"target"`
	Path     string             `json:"path"`
	Workers  int                `json:"workers"`
	Seconds  float64            `json:"duration_s"`
	Requests int                `json:"requests"`
	Errors   int                `json:"errors"`
	Rate     float64            `json:"rate"`
	Latency  map[string]float64 `json:"latency_ms"`
	Status   map[string]int     `json:"status"`
	// FirstError is the first failure seen, if any.
	FirstError string `json:"first_error,omitempty"`
}

// Closed runs p and returns what it measured. Every non-200 counts as an
// error.
func Closed(ctx context.Context, p ClosedPlan) (ClosedResult, error) {
	if _, err := CheckLoopback(p.Target); err != nil {
		return ClosedResult{}, err
	}
	if p.Duration <= 0 {
		return ClosedResult{}, fmt.Errorf("attack: a duration is required: a run is always bounded")
	}
	if p.Workers <= 0 {
		p.Workers = 16
	}
	if p.Timeout <= 0 {
		p.Timeout = 10 * time.Second
	}
	url := strings.TrimSuffix(p.Target, "/") + p.Path
	client := &http.Client{
		Timeout: p.Timeout,
		Transport: &http.Transport{
			DialContext:         dialer(),
			MaxIdleConns:        p.Workers,
			MaxIdleConnsPerHost: p.Workers,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	type tally struct {
		lat      []time.Duration
		status   map[int]int
		errors   int
		firstErr string
	}
	tallies := make([]tally, p.Workers)
	var measuring, stop sync.WaitGroup
	start := make(chan struct{})
	var measureFrom time.Time
	measuring.Add(1)
	go func() {
		// Counting starts after the warm-up.
		defer measuring.Done()
		select {
		case <-time.After(p.Warmup):
		case <-ctx.Done():
		}
		measureFrom = time.Now()
		close(start)
	}()
	deadline := time.Now().Add(p.Warmup + p.Duration)
	for i := range tallies {
		t := &tallies[i]
		t.status = map[int]int{}
		stop.Add(1)
		go func() {
			defer stop.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			counting := false
			for ctx.Err() == nil {
				now := time.Now()
				if now.After(deadline) {
					return
				}
				if !counting {
					select {
					case <-start:
						counting = true
					default:
					}
				}
				resp, err := client.Do(req)
				d := time.Since(now)
				code := 0
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				if !counting {
					continue
				}
				t.lat = append(t.lat, d)
				t.status[code]++
				if err != nil || code != http.StatusOK {
					t.errors++
					if t.firstErr == "" {
						t.firstErr = fmt.Sprintf("status %d, error %v", code, err)
					}
				}
			}
		}()
	}
	stop.Wait()
	measuring.Wait()
	elapsed := time.Since(measureFrom)

	res := ClosedResult{Target: p.Target, Path: p.Path, Workers: p.Workers, Seconds: elapsed.Seconds(),
		Latency: map[string]float64{}, Status: map[string]int{}}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.lat...)
		res.Errors += t.errors
		if res.FirstError == "" {
			res.FirstError = t.firstErr
		}
		for code, n := range t.status {
			res.Status[fmt.Sprint(code)] += n
		}
	}
	res.Requests = len(all)
	if len(all) == 0 {
		return res, fmt.Errorf("attack: no request answered in %s", p.Duration)
	}
	res.Rate = float64(len(all)) / elapsed.Seconds()
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		res.Latency[percentileName(q)] = ms(all[min(len(all)-1, int(q*float64(len(all))))])
	}
	res.Latency["max"] = ms(all[len(all)-1])
	return res, nil
}
