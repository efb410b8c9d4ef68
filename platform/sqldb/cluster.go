package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/readpref"
)

// Cluster routes reads to healthy replicas and everything else to the
// primary.
//
// A background checker (Start) pings every replica each CheckInterval and,
// when MaxLag > 0, asks how far behind the primary it is (LagProbe); a
// replica that does not answer, or lags more than MaxLag, or cannot say, is
// taken out of rotation until a later check finds it healthy again. With no
// replica in rotation, reads go to the primary: slower, never stale.
//
// The same code runs behind Vitess: give vtgate DSNs with the tablet type as
// the database, "user@tcp(vtgate:3306)/movies@primary" for the primary and
// ".../movies@replica" as the one replica, and set MaxLag to 0 (VitessTarget
// tells such a DSN). vtgate answers SHOW REPLICA STATUS with no rows, and
// its own tablet discovery keeps lagging replica tablets out (vtgate
// --discovery-low-replication-lag, vttablet --unhealthy-threshold), so the
// checker only pings, and read-your-writes windows must cover vtgate's bound.
type Cluster struct {
	primary  *sql.DB
	replicas []*member
	cfg      ClusterConfig
	log      *slog.Logger
	m        clusterMetrics

	// healthy holds the replicas in rotation; readers load it without locks.
	healthy atomic.Pointer[[]*member]
	next    atomic.Uint64

	// checking serializes Check, which updates the members.
	checking sync.Mutex
	started  atomic.Bool
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Replica is one read replica of a Cluster.
type Replica struct {
	// Name identifies it in logs and metrics (host:port/db, never a password).
	Name string
	DB   *sql.DB
}

// LagProbe tells how far behind its primary the replica db is.
type LagProbe func(ctx context.Context, db *sql.DB) (time.Duration, error)

// ClusterConfig tunes replica health checking.
type ClusterConfig struct {
	// MaxLag is the replication lag above which a replica leaves rotation.
	// 0 disables the lag check: replicas are only pinged (vtgate).
	MaxLag time.Duration
	// CheckInterval is the time between two health checks (default 1s).
	CheckInterval time.Duration
	// CheckTimeout bounds one replica's check (default 2s, at most CheckInterval).
	CheckTimeout time.Duration
	// Lag measures lag; nil means ReplicationLag (MySQL, MariaDB).
	Lag LagProbe
}

func (c ClusterConfig) withDefaults() ClusterConfig {
	if c.CheckInterval <= 0 {
		c.CheckInterval = time.Second
	}
	if c.CheckTimeout <= 0 {
		c.CheckTimeout = 2 * time.Second
	}
	c.CheckTimeout = min(c.CheckTimeout, c.CheckInterval)
	if c.Lag == nil {
		c.Lag = ReplicationLag
	}
	return c
}

type member struct {
	Replica
	up  bool
	lag time.Duration
}

// Read routes, the values of the sqldb_reads_total route label.
const (
	RouteReplica         = "replica"
	RoutePrimaryPinned   = "primary_pinned"   // the context asked for the primary
	RoutePrimaryFallback = "primary_fallback" // no replica in rotation
)

type clusterMetrics struct {
	up    *prometheus.GaugeVec
	lag   *prometheus.GaugeVec
	reads *prometheus.CounterVec
}

// NewCluster returns the cluster of primary and replicas and checks the
// replicas once, so healthy ones serve from the first read. Metrics go to
// reg (nil: none). Start runs the periodic checks; Close stops them and
// closes the replicas (not the primary, which the caller owns).
func NewCluster(ctx context.Context, primary *sql.DB, replicas []Replica, cfg ClusterConfig, log *slog.Logger, reg prometheus.Registerer) (*Cluster, error) {
	c := &Cluster{
		primary: primary,
		cfg:     cfg.withDefaults(),
		log:     log,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		m: clusterMetrics{
			up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "sqldb_replica_up", Help: "1 when the replica is in read rotation, 0 when taken out.",
			}, []string{"replica"}),
			lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "sqldb_replica_lag_seconds", Help: "Replication lag at the last check that could measure it.",
			}, []string{"replica"}),
			reads: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "sqldb_reads_total", Help: "Reads routed, by route: replica, primary_pinned (read-your-writes), primary_fallback (no replica in rotation).",
			}, []string{"route"}),
		},
	}
	if reg != nil {
		for _, col := range []prometheus.Collector{c.m.up, c.m.lag, c.m.reads} {
			if err := reg.Register(col); err != nil {
				return nil, fmt.Errorf("sqldb cluster metrics: %w", err)
			}
		}
	}
	for _, r := range replicas {
		c.replicas = append(c.replicas, &member{Replica: r})
		c.m.up.WithLabelValues(r.Name).Set(0)
	}
	for _, route := range []string{RouteReplica, RoutePrimaryPinned, RoutePrimaryFallback} {
		c.m.reads.WithLabelValues(route)
	}
	c.healthy.Store(&[]*member{})
	c.Check(ctx)
	return c, nil
}

// Primary is the database for writes and for reads that must be current.
func (c *Cluster) Primary() *sql.DB { return c.primary }

// Reader returns the database for one read, or for several that must agree
// with each other: a replica in rotation, round-robin, or the primary when
// ctx asks for it (readpref.WithPrimary) or no replica is in rotation. Prefer
// Read, which survives a replica dying between two checks.
func (c *Cluster) Reader(ctx context.Context) *sql.DB {
	if r := c.pick(ctx); r != nil {
		return r.DB
	}
	return c.primary
}

// Read runs fn on the database Reader picks. When a replica fails fn, fn
// runs again on the primary: a replica that dies costs a retry, not a failed
// request. A replica that cannot be reached also leaves rotation at once (the
// next check decides when it returns); one whose server refused the query
// (say, a table a migration has not brought it yet) stays. fn's own errors,
// sql.ErrNoRows, and a statement stopped at its limit (the primary would
// take as long, see StatementLimit) are returned as they are.
func (c *Cluster) Read(ctx context.Context, fn func(db *sql.DB) error) error {
	r := c.pick(ctx)
	if r == nil {
		return fn(c.primary)
	}
	err := fn(r.DB)
	if err == nil || ctx.Err() != nil || StatementTimedOut(err) {
		return err
	}
	var serverErr *mysql.MySQLError
	switch {
	case Unreachable(err):
		c.takeOut(r, err)
	case !errors.As(err, &serverErr):
		return err
	}
	c.m.reads.WithLabelValues(RoutePrimaryFallback).Inc()
	return fn(c.primary)
}

// pick returns the replica for a read, or nil for the primary.
func (c *Cluster) pick(ctx context.Context) *member {
	if readpref.Primary(ctx) {
		c.m.reads.WithLabelValues(RoutePrimaryPinned).Inc()
		return nil
	}
	healthy := *c.healthy.Load()
	if len(healthy) == 0 {
		c.m.reads.WithLabelValues(RoutePrimaryFallback).Inc()
		return nil
	}
	c.m.reads.WithLabelValues(RouteReplica).Inc()
	return healthy[c.next.Add(1)%uint64(len(healthy))]
}

// takeOut removes r from rotation until the next check.
func (c *Cluster) takeOut(r *member, err error) {
	for {
		cur := c.healthy.Load()
		next := make([]*member, 0, len(*cur))
		for _, h := range *cur {
			if h != r {
				next = append(next, h)
			}
		}
		if len(next) == len(*cur) {
			return // already out
		}
		if c.healthy.CompareAndSwap(cur, &next) {
			c.log.Warn("replica failed a read; out of rotation until it passes a check", "replica", r.Name, "error", err)
			c.m.up.WithLabelValues(r.Name).Set(0)
			return
		}
	}
}

// Unreachable tells a lost server or connection (refused, reset, closed
// mid-answer) from an answer of the server.
func Unreachable(err error) bool {
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.As(err, &netErr)
}

// MaxStaleness bounds how far behind the primary a replica in rotation can
// be: it lagged at most MaxLag when last checked, which was at most one
// interval and one check ago, and lag grows by at most that time since.
// A write is on every replica in rotation once MaxStaleness has passed.
// It is 0 when the lag check is disabled: the bound is then someone else's
// (vtgate's).
func (c *Cluster) MaxStaleness() time.Duration {
	if c.cfg.MaxLag <= 0 {
		return 0
	}
	// Seconds_Behind_Master counts whole seconds: 5 may mean 5.99.
	return c.cfg.MaxLag + time.Second + c.cfg.CheckInterval + c.cfg.CheckTimeout
}

// Healthy returns the names of the replicas in rotation.
func (c *Cluster) Healthy() []string {
	names := []string{}
	for _, r := range *c.healthy.Load() {
		names = append(names, r.Name)
	}
	return names
}

// Check checks every replica now, concurrently, and updates the rotation.
func (c *Cluster) Check(ctx context.Context) {
	c.checking.Lock()
	defer c.checking.Unlock()
	var wg sync.WaitGroup
	for _, r := range c.replicas {
		wg.Go(func() { c.checkOne(ctx, r) })
	}
	wg.Wait()
	healthy := make([]*member, 0, len(c.replicas))
	for _, r := range c.replicas {
		if r.up {
			healthy = append(healthy, r)
		}
	}
	c.healthy.Store(&healthy)
}

func (c *Cluster) checkOne(ctx context.Context, r *member) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CheckTimeout)
	defer cancel()
	lag, err := c.probe(ctx, r.DB)
	if err == nil {
		c.m.lag.WithLabelValues(r.Name).Set(lag.Seconds())
		if lag > c.cfg.MaxLag && c.cfg.MaxLag > 0 {
			err = fmt.Errorf("lagging %s behind the primary (bound %s)", lag, c.cfg.MaxLag)
		}
	}
	up := err == nil
	switch {
	case up && !r.up:
		c.log.Info("replica back in read rotation", "replica", r.Name, "lag", lag)
	case !up && r.up:
		c.log.Warn("replica taken out of read rotation", "replica", r.Name, "error", err)
	}
	r.up, r.lag = up, lag
	upValue := 0.0
	if up {
		upValue = 1
	}
	c.m.up.WithLabelValues(r.Name).Set(upValue)
}

func (c *Cluster) probe(ctx context.Context, db *sql.DB) (time.Duration, error) {
	if err := db.PingContext(ctx); err != nil {
		return 0, err
	}
	if c.cfg.MaxLag <= 0 {
		return 0, nil
	}
	return c.cfg.Lag(ctx, db)
}

// Start checks the replicas every CheckInterval until Close.
func (c *Cluster) Start() {
	if c.started.Swap(true) {
		return
	}
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.cfg.CheckInterval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CheckInterval)
				c.Check(ctx)
				cancel()
			}
		}
	}()
}

// Close stops the checks and closes the replicas.
func (c *Cluster) Close() error {
	var errs []error
	c.once.Do(func() {
		close(c.stop)
		if c.started.Load() {
			<-c.done // within one check
		}
		for _, r := range c.replicas {
			errs = append(errs, r.DB.Close())
		}
	})
	return errors.Join(errs...)
}

// ReplicationLag asks a MySQL or MariaDB replica for Seconds_Behind_Master
// (Seconds_Behind_Source on MySQL 8). The server counts from the primary's
// timestamp of the event it is applying, so an idle, caught-up replica says
// 0. NULL means replication is not running (a stopped SQL or IO thread): the
// lag is unknown and growing, which is an error here, so the replica leaves
// rotation. Needs the REPLICATION CLIENT (MariaDB: SLAVE MONITOR) privilege.
func ReplicationLag(ctx context.Context, db *sql.DB) (time.Duration, error) {
	rows, err := db.QueryContext(ctx, "SHOW REPLICA STATUS")
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1064 { // syntax: older than MySQL 8.0.22 / MariaDB 10.5
		rows, err = db.QueryContext(ctx, "SHOW SLAVE STATUS")
	}
	if err != nil {
		return 0, fmt.Errorf("replica status: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, errors.New("not a replica: no replication configured")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, err
	}
	for i, col := range cols {
		if col != "Seconds_Behind_Master" && col != "Seconds_Behind_Source" {
			continue
		}
		if !vals[i].Valid {
			return 0, errors.New("replication is not running (Seconds_Behind_Master is NULL)")
		}
		var secs int64
		if _, err := fmt.Sscan(vals[i].String, &secs); err != nil {
			return 0, fmt.Errorf("Seconds_Behind_Master %q: %w", vals[i].String, err)
		}
		return time.Duration(secs) * time.Second, nil
	}
	return 0, errors.New("replica status has no Seconds_Behind_Master column")
}

// OpenReplicas opens a pool to each replica DSN without waiting for it: a
// replica that is down at start only stays out of rotation. Each is named
// by its address and database, which is also its pool's db_name with
// WithMetrics. opts are Open's (WithTracing, WithMetrics).
func OpenReplicas(driver Driver, dsns []string, opts ...Option) ([]Replica, error) {
	o := newOptions(opts)
	if driver != MySQL {
		return nil, fmt.Errorf("read replicas need the mysql driver, not %q", driver)
	}
	var out []Replica
	for _, dsn := range dsns {
		dsn = strings.TrimSpace(dsn)
		if dsn == "" {
			continue
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			closeReplicas(out)
			return nil, fmt.Errorf("replica DSN: %w", err)
		}
		db, err := openMySQL(dsn, o)
		if err != nil {
			closeReplicas(out)
			return nil, err
		}
		name := cfg.Addr + "/" + cfg.DBName
		if o.metrics != nil {
			if err := o.metrics.register(db, name); err != nil {
				db.Close()
				closeReplicas(out)
				return nil, err
			}
		}
		out = append(out, Replica{Name: name, DB: db})
	}
	return out, nil
}

func closeReplicas(rs []Replica) {
	for _, r := range rs {
		r.DB.Close()
	}
}

// VitessTarget tells whether dsn names a Vitess target through vtgate
// ("keyspace@replica"), whose replicas vtgate checks itself.
func VitessTarget(dsn string) bool {
	cfg, err := mysql.ParseDSN(dsn)
	return err == nil && strings.Contains(cfg.DBName, "@")
}

// WithPrimaryReads is readpref.WithPrimary, the mark Reader honours.
//
// Deprecated: use readpref.WithPrimary, which callers above the database
// layer can import without it.
func WithPrimaryReads(ctx context.Context) context.Context { return readpref.WithPrimary(ctx) }

// PrimaryReads is readpref.Primary.
//
// Deprecated: use readpref.Primary.
func PrimaryReads(ctx context.Context) bool { return readpref.Primary(ctx) }
