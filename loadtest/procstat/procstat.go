// Package procstat samples the CPU time and resident memory of processes
// during a load (Linux /proc), so a run's figures say what each process
// spent to serve them.
package procstat

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Usage is what one process used during the watch.
type Usage struct {
	PID        int     `json:"pid"`
	CPUSeconds float64 `json:"cpu_s"`
	// Cores is CPU seconds per second of the watch: 1.0 is one core busy.
	Cores    float64 `json:"cores"`
	MaxRSSMB float64 `json:"max_rss_mb"`
	Error    string  `json:"error,omitempty"`
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

type sample struct {
	cpu float64 // seconds
	rss float64 // MB
}

func read(pid int) (sample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return sample{}, err
	}
	// The command name may hold spaces: fields start after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 22 {
		return sample{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	rssPages, _ := strconv.ParseFloat(f[21], 64)
	return sample{cpu: (utime + stime) / clockTicks, rss: rssPages * float64(os.Getpagesize()) / (1 << 20)}, nil
}

// Watch samples the processes every interval until ctx ends, then reports.
func Watch(ctx context.Context, pids map[string]int, interval time.Duration) map[string]Usage {
	start := time.Now()
	first := map[string]sample{}
	last := map[string]sample{}
	maxRSS := map[string]float64{}
	errs := map[string]error{}
	var mu sync.Mutex
	poll := func() {
		mu.Lock()
		defer mu.Unlock()
		for name, pid := range pids {
			s, err := read(pid)
			if err != nil {
				errs[name] = err
				continue
			}
			if _, ok := first[name]; !ok {
				first[name] = s
			}
			last[name] = s
			maxRSS[name] = max(maxRSS[name], s.rss)
		}
	}
	poll()
	t := time.NewTicker(interval)
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-t.C:
		case <-ctx.Done():
			done = true
		}
		poll()
	}
	elapsed := time.Since(start).Seconds()
	out := map[string]Usage{}
	for name, pid := range pids {
		u := Usage{PID: pid, MaxRSSMB: maxRSS[name]}
		if f, ok := first[name]; ok {
			u.CPUSeconds = last[name].cpu - f.cpu
			u.Cores = u.CPUSeconds / elapsed
		}
		if err := errs[name]; err != nil {
			u.Error = err.Error()
		}
		out[name] = u
	}
	return out
}

// ParsePIDs reads "name=pid,name=pid".
func ParsePIDs(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, p, ok := strings.Cut(part, "=")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil || pid <= 0 {
			return nil, fmt.Errorf("watch %q: want name=pid", part)
		}
		out[name] = pid
	}
	return out, nil
}
