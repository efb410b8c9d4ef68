package attack

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/moviesplatform/loadtest/model"
	"github.com/moviesplatform/loadtest/procstat"
)

// Percentiles are the quantiles the summary and the percentile plot show.
var Percentiles = []float64{0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999}

// Report accumulates the results of a run.
type Report struct {
	plan      Plan
	all       vegeta.Metrics
	endpoints map[string]*vegeta.Metrics
	errors    map[string]int
	seconds   []second
	plot      *plot.Plot
	start     time.Time
}

type second struct {
	requests, errors int
	latencies        []time.Duration
}

func newReport(plan Plan) *Report {
	return &Report{
		plan:      plan,
		endpoints: map[string]*vegeta.Metrics{},
		errors:    map[string]int{},
		plot: plot.New(plot.Title(fmt.Sprintf("%s: %.0f req/s to %s", nameOr(plan.Name), plan.Rate, plan.Target)),
			plot.Label(func(r *vegeta.Result) string { return string(model.Classify(r.Method, r.URL)) })),
	}
}

func nameOr(s string) string {
	if s == "" {
		return "loadtest"
	}
	return s
}

func (r *Report) add(res *vegeta.Result) {
	if r.start.IsZero() {
		r.start = res.Timestamp
	}
	r.all.Add(res)
	kind := string(model.Classify(res.Method, res.URL))
	m := r.endpoints[kind]
	if m == nil {
		m = &vegeta.Metrics{}
		r.endpoints[kind] = m
	}
	m.Add(res)
	if res.Error != "" && len(r.errors) < 50 {
		r.errors[res.Error]++
	} else if res.Error != "" {
		r.errors["(other errors)"]++
	}
	s := int(res.Timestamp.Sub(r.start) / time.Second)
	for len(r.seconds) <= s {
		r.seconds = append(r.seconds, second{})
	}
	r.seconds[s].requests++
	if res.Code < 200 || res.Code >= 400 {
		r.seconds[s].errors++
	}
	r.seconds[s].latencies = append(r.seconds[s].latencies, res.Latency)
	_ = r.plot.Add(res)
}

func (r *Report) close() {
	r.all.Close()
	for _, m := range r.endpoints {
		m.Close()
	}
	r.plot.Close()
}

// Summary is the JSON summary of a run. Latencies are in milliseconds.
type Summary struct {
	Name    string    `json:"name"`
	Target  string    `json:"target"`
	Started time.Time `json:"started"`
	Planned struct {
		Rate        float64 `json:"rate"`
		RampSeconds float64 `json:"ramp_s"`
		Seconds     float64 `json:"duration_s"`
		MaxRequests uint64  `json:"max_requests,omitempty"`
	} `json:"planned"`
	Stats
	// SteadyRate is the rate achieved after the ramp.
	SteadyRate float64           `json:"steady_rate"`
	Errors     map[string]int    `json:"errors,omitempty"`
	Endpoints  map[string]Stats  `json:"endpoints"`
	Timeline   []TimelineSecond  `json:"timeline"`
	Notes      map[string]string `json:"notes,omitempty"`
	// Processes is what each watched process used during the run.
	Processes map[string]procstat.Usage `json:"processes,omitempty"`
}

// Stats are the figures of a set of requests.
type Stats struct {
	Requests   uint64             `json:"requests"`
	Seconds    float64            `json:"duration_s"`
	Rate       float64            `json:"rate"`
	Throughput float64            `json:"throughput"`
	Success    float64            `json:"success_ratio"`
	Latency    map[string]float64 `json:"latency_ms"`
	Status     map[string]int     `json:"status"`
}

// TimelineSecond is one second of the run.
type TimelineSecond struct {
	Second   int     `json:"t"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func stats(m *vegeta.Metrics) Stats {
	s := Stats{
		Requests: m.Requests, Seconds: m.Duration.Seconds(), Rate: m.Rate, Throughput: m.Throughput,
		Success: m.Success, Status: m.StatusCodes,
		Latency: map[string]float64{"mean": ms(m.Latencies.Mean), "max": ms(m.Latencies.Max), "min": ms(m.Latencies.Min)},
	}
	for _, q := range Percentiles {
		s.Latency[percentileName(q)] = ms(m.Latencies.Quantile(q))
	}
	return s
}

func percentileName(q float64) string {
	return "p" + strconv.FormatFloat(q*100, 'f', -1, 64)
}

// Summary returns the run's figures.
func (r *Report) Summary() Summary {
	s := Summary{Name: r.plan.Name, Target: r.plan.Target, Started: r.all.Earliest, Stats: stats(&r.all),
		Endpoints: map[string]Stats{}}
	s.Planned.Rate, s.Planned.RampSeconds, s.Planned.Seconds, s.Planned.MaxRequests =
		r.plan.Rate, r.plan.Ramp.Seconds(), r.plan.Duration.Seconds(), r.plan.MaxRequests
	for k, m := range r.endpoints {
		s.Endpoints[k] = stats(m)
	}
	if len(r.errors) > 0 {
		s.Errors = r.errors
	}
	steady, steadySeconds := 0, 0
	for i, sec := range r.seconds {
		lat := slices.Clone(sec.latencies)
		slices.Sort(lat)
		t := TimelineSecond{Second: i, Requests: sec.requests, Errors: sec.errors}
		if n := len(lat); n > 0 {
			t.P50, t.P99, t.Max = ms(lat[n*50/100]), ms(lat[min(n-1, n*99/100)]), ms(lat[n-1])
		}
		s.Timeline = append(s.Timeline, t)
		// Whole seconds after the ramp (the last one may be partial).
		if time.Duration(i)*time.Second >= r.plan.Ramp && i < len(r.seconds)-1 {
			steady += sec.requests
			steadySeconds++
		}
	}
	if steadySeconds > 0 {
		s.SteadyRate = float64(steady) / float64(steadySeconds)
	}
	return s
}

// WriteFiles writes summary.json, latency.html (latency over time per
// endpoint, vegeta's plot) and percentiles.html (latency by percentile per
// endpoint) into dir, and returns the summary.
func (r *Report) WriteFiles(dir string, notes map[string]string, procs map[string]procstat.Usage) (Summary, error) {
	s := r.Summary()
	s.Notes, s.Processes = notes, procs
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return s, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return s, err
	}
	f, err := os.Create(filepath.Join(dir, "latency.html"))
	if err != nil {
		return s, err
	}
	if _, err := r.plot.WriteTo(f); err != nil {
		f.Close()
		return s, err
	}
	if err := f.Close(); err != nil {
		return s, err
	}
	page := percentilePage(s, slices.Sorted(maps.Keys(s.Endpoints)))
	return s, os.WriteFile(filepath.Join(dir, "percentiles.html"), []byte(page), 0o644)
}
