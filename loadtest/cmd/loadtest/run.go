package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/moviesplatform/loadtest/attack"
	"github.com/moviesplatform/loadtest/gen"
	"github.com/moviesplatform/loadtest/model"
	"github.com/moviesplatform/loadtest/procstat"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/runner"
)

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	target := fs.String("target", "http://127.0.0.1:8080", "base URL of the gateway (or of any server of the same routes); loopback only")
	n := fs.Int64("n", 5_000_000, "movies in the synthetic catalog the target was loaded with (loadtest bulkload -n)")
	seed := fs.Uint64("seed", 1, "seed of that catalog")
	idBase := fs.Int64("id-base", 0, "largest movie id before the bulk load (0: it was loaded into an empty catalog)")
	rate := fs.Float64("rate", 870, "requests per second after the ramp (seed x5: 870 average, 4300 peak)")
	ramp := fs.Duration("ramp", 10*time.Second, "time to climb from 0 to -rate")
	duration := fs.Duration("duration", 60*time.Second, "length of the run, ramp included")
	maxRequests := fs.Uint64("max-requests", 0, "stop after this many requests (0: -rate x -duration)")
	out := fs.String("out", "", "directory for summary.json, latency.html, percentiles.html (default loadtest-out/<time>)")
	name := fs.String("name", "seed-x5", "name of the run in its report")
	path := fs.String("path", "", "send only GET <path> (e.g. /api/movie/1/), for side-by-side comparisons")
	only := fs.String("only", "", "comma list of request kinds to keep from the mix ("+kindList()+")")
	anonymous := fs.Float64("anonymous", 0.7, "share of reads sent without a token")
	users := fs.Int("users", 20, "authenticated users whose tokens carry the rest of the reads")
	adminUser := fs.String("admin-user", "", "admin for writes and user creation (default MOVIES_ADMIN_USERNAME, or the -admin-file)")
	adminPassword := fs.String("admin-password", "", "its password (default MOVIES_ADMIN_PASSWORD)")
	adminFile := fs.String("admin-file", "data/dev-admin.txt", "dev admin file written by make run")
	warm := fs.Bool("warm", true, "gather cursor pages before the load")
	watch := fs.String("watch", "", "processes to measure, name=pid,... (CPU seconds and max RSS go to the summary)")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := attack.CheckLoopback(*target); err != nil {
		return err
	}
	pids, err := procstat.ParsePIDs(*watch)
	if err != nil {
		return err
	}
	if *maxRequests == 0 {
		*maxRequests = uint64(*rate * duration.Seconds())
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := runner.SignalContext()
	defer stop()

	next, err := traffic(log, trafficFlags{
		target: strings.TrimSuffix(*target, "/"), n: *n, seed: *seed, idBase: *idBase, path: *path, only: *only,
		anonymous: *anonymous, users: *users, warm: *warm, timeout: *timeout,
		adminUser: *adminUser, adminPassword: *adminPassword, adminFile: *adminFile,
	})
	if err != nil {
		return err
	}

	notes := map[string]string{
		"command":        "loadtest run " + strings.Join(args, " "),
		"machine":        fmt.Sprintf("%d CPUs (GOMAXPROCS %d), shared with the target and anything else running", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		"loadavg_before": loadavg(),
	}
	log.Info("load starting", "target", *target, "rate", *rate, "ramp", *ramp, "duration", *duration, "max_requests", *maxRequests)
	watchCtx, stopWatch := context.WithCancel(ctx)
	usage := make(chan map[string]procstat.Usage, 1)
	go func() { usage <- procstat.Watch(watchCtx, pids, time.Second) }()
	rep, err := attack.Run(ctx, attack.Plan{Target: *target, Rate: *rate, Ramp: *ramp, Duration: *duration,
		MaxRequests: *maxRequests, Timeout: *timeout, Name: *name}, next)
	stopWatch()
	procs := <-usage
	if err != nil {
		return err
	}
	notes["loadavg_after"] = loadavg()
	if *out == "" {
		*out = "loadtest-out/" + time.Now().UTC().Format("20060102-150405") + "-" + *name
	}
	s, err := rep.WriteFiles(*out, notes, procs)
	if err != nil {
		return err
	}
	log.Info("load done", "out", *out, "requests", s.Requests, "steady_rate", fmt.Sprintf("%.0f", s.SteadyRate),
		"p50_ms", s.Latency["p50"], "p99_ms", s.Latency["p99"], "p99.9_ms", s.Latency["p99.9"], "max_ms", s.Latency["max"],
		"success", s.Success, "status", fmt.Sprint(s.Status))
	for k, e := range s.Endpoints {
		log.Info("endpoint", "kind", k, "requests", e.Requests, "p50_ms", e.Latency["p50"], "p99_ms", e.Latency["p99"], "status", fmt.Sprint(e.Status))
	}
	for k, u := range procs {
		log.Info("process", "name", k, "pid", u.PID, "cpu_s", fmt.Sprintf("%.1f", u.CPUSeconds), "cores", fmt.Sprintf("%.2f", u.Cores), "max_rss_mb", fmt.Sprintf("%.0f", u.MaxRSSMB))
	}
	return nil
}

func kindList() string {
	var out []string
	for _, k := range []model.Kind{model.Detail, model.ListDefault, model.ListGenre, model.ListDirector, model.ListCursor,
		model.ListDeep, model.Search, model.WritePatch, model.WriteCreate} {
		out = append(out, string(k))
	}
	return strings.Join(out, ",")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

type trafficFlags struct {
	target                              string
	n                                   int64
	seed                                uint64
	idBase                              int64
	path, only                          string
	anonymous                           float64
	users                               int
	warm                                bool
	timeout                             time.Duration
	adminUser, adminPassword, adminFile string
}

// traffic sets up what the load sends: a fixed path, or the model with its
// tokens and cursor pools.
func traffic(log *slog.Logger, f trafficFlags) (func() model.Request, error) {
	if f.path != "" {
		req := model.Request{Kind: model.Classify("GET", f.path), Method: "GET", Path: f.path}
		return func() model.Request { return req }, nil
	}
	genres, err := gen.ReferenceGenres()
	if err != nil {
		return nil, err
	}
	catalog, err := gen.New(f.n, f.seed, genres)
	if err != nil {
		return nil, err
	}
	mix := model.DefaultMix
	if f.only != "" {
		mix = map[model.Kind]float64{}
		for _, k := range strings.Split(f.only, ",") {
			w, ok := model.DefaultMix[model.Kind(strings.TrimSpace(k))]
			if !ok {
				return nil, fmt.Errorf("-only: unknown kind %q (want %s)", k, kindList())
			}
			mix[model.Kind(strings.TrimSpace(k))] = w
		}
	}
	s := &session{base: f.target, client: attack.Client(f.timeout), log: log}
	cfg := model.Config{Catalog: catalog, IDBase: f.idBase, Mix: mix, AnonymousShare: f.anonymous, Seed: f.seed}
	user, password := adminCredentials(f.adminUser, f.adminPassword, f.adminFile)
	if user != "" {
		if cfg.AdminToken, err = s.login(user, password); err != nil {
			return nil, err
		}
		if cfg.UserTokens, err = s.userTokens(cfg.AdminToken, f.users); err != nil {
			return nil, err
		}
	} else {
		log.Warn("no admin credentials: anonymous reads only, no writes")
	}
	m, err := model.New(cfg)
	if err != nil {
		return nil, err
	}
	if f.warm {
		var starts []string
		starts = append(starts, contract.RouteMovies)
		for _, g := range genres[:5] {
			starts = append(starts, contract.RouteMovies+"?genre="+g.Name+"&ordering=-popularity")
		}
		var deep []string
		for i := range 10 {
			// Ranks from a tenth of the catalog to its end.
			rank := f.n/10 + int64(i)*(f.n-f.n/10)/10 + 1
			deep = append(deep, model.DeepStart(catalog, rank))
		}
		s.warm(m, starts, deep)
	}
	return m.Next, nil
}
