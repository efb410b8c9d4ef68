package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moviesplatform/loadtest/gen"
	"github.com/moviesplatform/loadtest/procstat"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/memengine"
	"github.com/moviesplatform/search-svc/engine/relevance"
)

// searchbenchCmd measures the embedded memory engine on a generated catalog,
// in one process, phase by phase: indexing through Apply in the indexer's
// batches, the snapshot written at Close and read back at Open, then one
// client's searches (latency, and CPU per search from /proc, which counts
// GC and every goroutine the engine runs) and the recall of titles typed
// with a typo. HTTP and JSON are not included: they cost the same whichever
// engine answers.
func searchbenchCmd(args []string) error {
	fs := flag.NewFlagSet("searchbench", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the snapshot (default: a temporary one, removed after)")
	batch := fs.Int("batch", 1000, "movies per Apply, as the indexer's feed pages")
	queries := fs.Int("queries", 600, "distinct queries per phase")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the whole run to this file (pprof -focus Search for the searches')")
	g, err := generator(fs, args)
	if err != nil {
		return err
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "searchbench"); err != nil {
			return err
		}
		defer os.RemoveAll(*dir)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		// Finer sampling than the default 512 KB: a search's allocations
		// are many small containers.
		runtime.MemProfileRate = 4096
		defer func() {
			if err := writeHeapProfile(*memProfile); err != nil {
				fmt.Fprintln(os.Stderr, "searchbench:", err)
			}
		}()
	}
	path := filepath.Join(*dir, "index.snapshot")
	_ = os.Remove(path)
	ctx := context.Background()
	say := func(format string, a ...any) { fmt.Printf(format+"\n", a...) }
	say("searchbench: %d movies (seed catalog of loadtest gen), batches of %d, GOMAXPROCS %d", g.N(), *batch, runtime.GOMAXPROCS(0))

	// Indexing.
	e, err := memengine.Open(memengine.Config{Path: path})
	if err != nil {
		return err
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	buf := make([]contract.Movie, 0, *batch)
	var id int64
	for m := range g.Movies() {
		id = m.ID
		buf = append(buf, m)
		if len(buf) == cap(buf) || id == g.N() {
			if err := e.Apply(ctx, engine.Batch{Upserts: buf, Cursor: id}); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	applied := time.Since(start)
	if err := e.Settle(ctx); err != nil {
		return err
	}
	settled := time.Since(start)
	say("index: %d movies applied in %s (%.0f movies/s), settled (renumbered, full dictionary) in %s (%.0f movies/s), %.1f CPU-s",
		g.N(), applied.Round(time.Millisecond), float64(g.N())/applied.Seconds(),
		settled.Round(time.Millisecond), float64(g.N())/settled.Seconds(), cpuSeconds()-cpu0)
	say("memory after indexing: heap %.0f MB, RSS %.0f MB, peak RSS %.0f MB", heapMB(), rssMB("VmRSS"), rssMB("VmHWM"))

	// Snapshot: written at Close, read at Open, so a restart does not reindex.
	start = time.Now()
	if err := e.Close(); err != nil {
		return err
	}
	wrote := time.Since(start)
	e = nil
	runtime.GC()
	debug.FreeOSMemory()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	start = time.Now()
	e, err = memengine.Open(memengine.Config{Path: path})
	if err != nil {
		return err
	}
	defer e.Close()
	loaded := time.Since(start)
	if n, _ := e.Count(ctx); n != g.N() {
		return fmt.Errorf("reopened index holds %d movies, want %d", n, g.N())
	}
	runtime.GC()
	debug.FreeOSMemory()
	say("snapshot: %.0f MB, written in %s, loaded in %s; after the load heap %.0f MB, RSS %.0f MB",
		float64(fi.Size())/(1<<20), wrote.Round(time.Millisecond), loaded.Round(time.Millisecond), heapMB(), rssMB("VmRSS"))

	// Searches, one client.
	r := rand.New(rand.NewPCG(uint64(g.N()), 11))
	for terms := 1; terms <= 3; terms++ {
		qs := typedQueries(g, r, terms, *queries)
		if err := measureSearches(ctx, e, fmt.Sprintf("%d term(s), typo, prefix last", terms), qs, say); err != nil {
			return err
		}
	}
	mixed := slices.Concat(typedQueries(g, r, 1, *queries/3), typedQueries(g, r, 2, *queries/3), typedQueries(g, r, 3, *queries/3))
	r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	if err := measureSearches(ctx, e, "1-3 terms mixed", mixed, say); err != nil {
		return err
	}

	// Recall: whole titles typed with a typo.
	titles := make([]contract.Movie, 0, *queries)
	for len(titles) < *queries {
		titles = append(titles, g.Movie(1+r.Int64N(g.N())))
	}
	rec, err := relevance.MeasureRecall(ctx, e, titles, r)
	if err != nil {
		return err
	}
	say("recall@10 of %d titles with one typo: the title %.3f, the very movie %.3f", rec.Queries, rec.Title, rec.Movie)
	say("peak RSS of the whole run %.0f MB", rssMB("VmHWM"))
	return nil
}

// typedQueries makes n distinct queries of terms words taken in order from
// generated titles, as someone types them: one word of five letters or more
// carries a typo, and the last word is cut to a prefix (a one-word query is
// the word with its typo).
func typedQueries(g *gen.Generator, r *rand.Rand, terms, n int) []string {
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		words := strings.Fields(strings.ToLower(strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' {
				return c
			}
			return ' '
		}, g.Movie(1+r.Int64N(g.N())).Name)))
		if len(words) < terms {
			continue
		}
		at := r.IntN(len(words) - terms + 1)
		q := slices.Clone(words[at : at+terms])
		typoAt := -1
		for i, w := range q {
			if len(w) >= engine.MinWordSizeOneTypo && (i < len(q)-1 || len(q) == 1) && (typoAt < 0 || r.IntN(2) == 0) {
				typoAt = i
			}
		}
		if typoAt < 0 {
			continue
		}
		q[typoAt] = relevance.Typo(r, q[typoAt])
		if last := len(q) - 1; last > 0 {
			q[last] = q[last][:1+r.IntN(len(q[last]))]
		}
		if s := strings.Join(q, " "); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// measureSearches runs qs one after the other and reports latency, the
// process's CPU per search and the bytes allocated per search: what a search
// allocates sets how often the collector runs under load, whose cycles
// showed up as bursts of 503s in the average run (docs/performance.md).
func measureSearches(ctx context.Context, e engine.Engine, what string, qs []string, say func(string, ...any)) error {
	runtime.GC()
	allocated := totalAlloc()
	watch, stop := context.WithCancel(ctx)
	usage := make(chan map[string]procstat.Usage, 1)
	go func() { usage <- procstat.Watch(watch, map[string]int{"self": os.Getpid()}, 100*time.Millisecond) }()
	lat := make([]time.Duration, 0, len(qs))
	var matches int64
	for _, q := range qs {
		start := time.Now()
		res, err := e.Search(ctx, contract.SearchQuery{Text: q, Limit: 20})
		lat = append(lat, time.Since(start))
		if err != nil {
			stop()
			return err
		}
		matches += res.EstimatedTotal
	}
	stop()
	allocated = totalAlloc() - allocated
	u := (<-usage)["self"]
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)].Microseconds()) / 1000 }
	say("search %-32s %4d queries: p50 %.2f ms, p99 %.2f ms, max %.2f ms; CPU %.3f ms/search; allocated %.1f KB/search; %.0f matches/query",
		what+":", len(qs), pct(50), pct(99), pct(100), 1000*u.CPUSeconds/float64(len(qs)),
		float64(allocated)/1024/float64(len(qs)), float64(matches)/float64(len(qs)))
	return nil
}

// cpuSeconds is the CPU time (user + system) the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// totalAlloc is the bytes the process has allocated on the heap so far,
// freed or not (the collector's workload).
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func heapMB() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// rssMB reads a VmRSS/VmHWM line of /proc/self/status.
func rssMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
