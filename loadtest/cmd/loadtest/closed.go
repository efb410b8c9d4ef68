package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"time"

	"github.com/moviesplatform/loadtest/attack"
	"github.com/moviesplatform/loadtest/procstat"
	"github.com/moviesplatform/platform/runner"
)

// closedResult is a closed-loop run's summary.json: the load's figures and
// what each watched process spent, with the CPU per request the figures
// of docs/performance.md compare.
type closedResult struct {
	Name string `json:"name"`
	attack.ClosedResult
	Processes map[string]procstat.Usage `json:"processes,omitempty"`
	// CPUPerRequestUS is each watched process's CPU time per answered
	// request, in microseconds.
	CPUPerRequestUS map[string]float64 `json:"cpu_per_request_us,omitempty"`
}

// closedCmd drives one path closed-loop: N workers, each sending its next
// GET as soon as the last is answered (attack.Closed).
func closedCmd(args []string) error {
	fs := flag.NewFlagSet("closed", flag.ContinueOnError)
	target := fs.String("target", "http://127.0.0.1:8080", "base URL; loopback only")
	path := fs.String("path", "/api/movie/1/", "the path every request GETs")
	workers := fs.Int("workers", 16, "concurrent clients, each on one keep-alive connection")
	warmup := fs.Duration("warmup", 2*time.Second, "time before the measured part starts")
	duration := fs.Duration("duration", 10*time.Second, "measured time")
	name := fs.String("name", "closed", "name of the run in its summary")
	out := fs.String("out", "", "file for the JSON summary (default stdout only)")
	watch := fs.String("watch", "", "processes to measure, name=pid,... (CPU seconds and max RSS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pids, err := procstat.ParsePIDs(*watch)
	if err != nil {
		return err
	}
	ctx, stop := runner.SignalContext()
	defer stop()
	// The processes are watched over the measured part only.
	usage := make(chan map[string]procstat.Usage, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	go func() {
		select {
		case <-time.After(*warmup):
		case <-ctx.Done():
		}
		usage <- procstat.Watch(watchCtx, pids, 500*time.Millisecond)
	}()
	res, err := attack.Closed(ctx, attack.ClosedPlan{Target: *target, Path: *path, Workers: *workers,
		Warmup: *warmup, Duration: *duration})
	stopWatch()
	procs := <-usage
	if err != nil {
		return err
	}
	r := closedResult{Name: *name, ClosedResult: res, Processes: procs, CPUPerRequestUS: map[string]float64{}}
	for k, u := range procs {
		r.CPUPerRequestUS[k] = u.CPUSeconds / float64(res.Requests) * 1e6
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}
