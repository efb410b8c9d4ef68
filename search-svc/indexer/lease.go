package indexer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/contract"
)

// Leases are the catalog's feed-consumer leases; catalog.Service and its
// HTTP client satisfy it.
type Leases interface {
	AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error)
	ReleaseFeedLease(ctx context.Context, name, holder string) error
}

// LeaseOptions configure a Leader.
type LeaseOptions struct {
	// Consumer names the index the lease guards ("search:movies").
	Consumer string
	// Holder names this process; empty: NewHolder().
	Holder string
	// TTL is the lease's length (15s); it is renewed every TTL/3.
	TTL time.Duration
}

// LeaseStatus is a Leader's state, shown in /readyz.
type LeaseStatus struct {
	Consumer string `json:"consumer"`
	Holder   string `json:"holder"`
	Leader   bool   `json:"leader"`
}

// NewHolder is a holder id: the host (the pod's name) and a random suffix,
// so a restarted pod is a new holder.
func NewHolder() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return HostName() + "-" + hex.EncodeToString(b)
}

// HostName is the host's name in the lease contract's alphabet, at most
// 180 characters ("host" when there is none).
func HostName() string {
	host, _ := os.Hostname()
	name := make([]byte, 0, len(host))
	for _, c := range []byte(host) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			name = append(name, c)
		}
	}
	if len(name) == 0 {
		return "host"
	}
	return string(name[:min(len(name), 180)])
}

// Leader runs an indexer only while it holds the consumer's lease, so that
// of all the replicas sharing one index exactly one writes it; the others
// stand by (and keep serving queries).
type Leader struct {
	ix     *Indexer
	leases Leases
	log    *slog.Logger
	opts   LeaseOptions
	leader prometheus.Gauge
	held   atomic.Bool
}

// NewLeader returns a Leader of ix; its gauge search_indexer_leader
// registers on reg.
func NewLeader(ix *Indexer, leases Leases, log *slog.Logger, reg metricsRegisterer, opts LeaseOptions) *Leader {
	if opts.TTL <= 0 {
		opts.TTL = 15 * time.Second
	}
	if opts.Holder == "" {
		opts.Holder = NewHolder()
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "search", Subsystem: "indexer", Name: "leader",
		Help: "1 while this replica holds the index's lease and writes it, 0 on standby."})
	reg.MustRegister(g)
	return &Leader{ix: ix, leases: leases, log: log, opts: opts, leader: g}
}

// Status says whether this replica writes the index.
func (l *Leader) Status() LeaseStatus {
	return LeaseStatus{Consumer: l.opts.Consumer, Holder: l.opts.Holder, Leader: l.held.Load()}
}

func (l *Leader) setHeld(v bool) {
	l.held.Store(v)
	if v {
		l.leader.Set(1)
	} else {
		l.leader.Set(0)
	}
}

// Run stands by until it gets the lease, runs the indexer while it holds
// it, renewing every TTL/3 with the index's cursor as the consumer's
// position, and stops the indexer at once when a renewal is refused or
// the lease would run out unrenewed (the catalog unreachable). It releases
// the lease when ctx ends.
func (l *Leader) Run(ctx context.Context) error {
	every := l.opts.TTL / 3
	var (
		stop    context.CancelFunc
		done    chan struct{}
		expires time.Time // local clock: when our lease ends unrenewed
	)
	stopIndexer := func() {
		if stop != nil {
			stop()
			<-done
			stop = nil
			l.setHeld(false)
		}
	}
	defer func() {
		held := stop != nil
		stopIndexer()
		if held {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
			defer cancel()
			if err := l.leases.ReleaseFeedLease(rctx, l.opts.Consumer, l.opts.Holder); err != nil {
				l.log.WarnContext(ctx, "could not release the index lease; it expires by itself", "error", err)
			}
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		start := time.Now()
		req := contract.FeedLeaseRequest{Holder: l.opts.Holder, TTLMillis: l.opts.TTL.Milliseconds()}
		if stop != nil {
			if c, err := l.ix.eng.Cursor(ctx); err == nil {
				req.Position = &c
			}
		}
		cctx, cancel := context.WithTimeout(ctx, every)
		_, err := l.leases.AcquireFeedLease(cctx, l.opts.Consumer, req)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			// The lease runs TTL from the catalog's answer, which came after start.
			expires = start.Add(l.opts.TTL)
			if stop == nil {
				l.log.InfoContext(ctx, "holding the index lease; indexing", "consumer", l.opts.Consumer, "holder", l.opts.Holder)
				var runCtx context.Context
				runCtx, stop = context.WithCancel(ctx)
				done = make(chan struct{})
				l.setHeld(true)
				wg.Add(1)
				go func(done chan struct{}) {
					defer wg.Done()
					defer close(done)
					_ = l.ix.Run(runCtx)
				}(done)
			}
		case errors.Is(err, contract.ErrFeedLeaseHeld):
			if stop != nil {
				l.log.WarnContext(ctx, "lost the index lease; standing by", "consumer", l.opts.Consumer)
				stopIndexer()
			}
		default:
			l.log.WarnContext(ctx, "index lease call failed", "error", err)
			// Stop before the lease can run out: another replica may take it then.
			if stop != nil && time.Now().Add(every).After(expires) {
				l.log.WarnContext(ctx, "index lease about to run out unrenewed; standing by", "consumer", l.opts.Consumer)
				stopIndexer()
			}
		}
		sleep(ctx, every)
	}
}
