package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are a service's SQL metrics: sqldb_query_duration_seconds by
// statement kind, and the database/sql pool of every database opened with
// them (go_sql_*, labelled db_name). One per registry; every pool of the
// service shares it.
type Metrics struct {
	reg      prometheus.Registerer
	duration *prometheus.HistogramVec
}

// NewMetrics registers the statement histogram on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sqldb_query_duration_seconds",
			Help:    "Time the database took to answer a statement, by kind (select, insert, update, delete, replace, begin, commit, rollback, other); a query until its first rows.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"op"}),
	}
	reg.MustRegister(m.duration)
	for _, op := range ops {
		m.duration.WithLabelValues(op)
	}
	return m
}

// ops are the statement kinds counted apart; anything else is "other",
// so the label stays bounded whatever SQL a service sends.
var ops = []string{"select", "insert", "update", "delete", "replace", "begin", "commit", "rollback", "other"}

// WithMetrics times every statement on m and exports the pool's stats
// under db_name=name (OpenReplicas names each replica's pool by the
// replica's name). A nil m measures nothing.
func WithMetrics(m *Metrics, name string) Option {
	return func(o *options) { o.metrics, o.dbName = m, name }
}

// register exports db's pool stats under name.
func (m *Metrics) register(db *sql.DB, name string) error {
	if err := m.reg.Register(collectors.NewDBStatsCollector(db, name)); err != nil {
		return fmt.Errorf("pool metrics of %s: %w", name, err)
	}
	return nil
}

func (m *Metrics) observe(query string, start time.Time) {
	m.duration.WithLabelValues(opOf(query)).Observe(time.Since(start).Seconds())
}

func opOf(query string) string {
	kind := strings.ToLower(statementKind(query))
	switch kind {
	case "select", "insert", "update", "delete", "replace", "commit", "rollback":
		return kind
	case "begin", "start": // START TRANSACTION
		return "begin"
	}
	return "other"
}

// timedConnector times the statements of every connection it makes. It
// wraps the driver, below otelsql, so it sees each statement once however
// database/sql runs it (directly, or prepared when the driver skips).
type timedConnector struct {
	driver.Connector
	m *Metrics
}

func (c timedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &timedConn{Conn: conn, m: c.m}, nil
}

// timedConn forwards to the driver's connection. Where the driver lacks an
// optional interface it answers driver.ErrSkip (or the default), which
// database/sql treats as if the interface were absent.
type timedConn struct {
	driver.Conn
	m *Metrics
}

func (c *timedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		s   driver.Stmt
		err error
	)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &timedStmt{Stmt: s, query: query, m: c.m}, nil
}

func (c *timedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *timedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	start := time.Now()
	var (
		tx  driver.Tx
		err error
	)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the driver offers nothing else
	}
	c.m.observe("BEGIN", start)
	if err != nil {
		return nil, err
	}
	return timedTx{Tx: tx, m: c.m}, nil
}

func (c *timedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return timed(c.m, query, func() (driver.Result, error) { return e.ExecContext(ctx, query, args) })
}

func (c *timedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return timed(c.m, query, func() (driver.Rows, error) { return q.QueryContext(ctx, query, args) })
}

// timed runs a statement and times it, unless the driver skipped it
// (database/sql then runs it prepared, and that is timed instead).
func timed[T any](m *Metrics, query string, run func() (T, error)) (T, error) {
	start := time.Now()
	v, err := run()
	if err != driver.ErrSkip {
		m.observe(query, start)
	}
	return v, err
}

func (c *timedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *timedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *timedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *timedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type timedTx struct {
	driver.Tx
	m *Metrics
}

func (t timedTx) Commit() error {
	defer t.m.observe("COMMIT", time.Now())
	return t.Tx.Commit()
}

func (t timedTx) Rollback() error {
	defer t.m.observe("ROLLBACK", time.Now())
	return t.Tx.Rollback()
}

type timedStmt struct {
	driver.Stmt
	query string
	m     *Metrics
}

func (s *timedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return timed(s.m, s.query, func() (driver.Result, error) { return e.ExecContext(ctx, args) })
	}
	values, err := namedToValues(args)
	if err != nil {
		return nil, err
	}
	return timed(s.m, s.query, func() (driver.Result, error) { return s.Stmt.Exec(values) }) //nolint:staticcheck // the driver offers nothing else
}

func (s *timedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return timed(s.m, s.query, func() (driver.Rows, error) { return q.QueryContext(ctx, args) })
	}
	values, err := namedToValues(args)
	if err != nil {
		return nil, err
	}
	return timed(s.m, s.query, func() (driver.Rows, error) { return s.Stmt.Query(values) }) //nolint:staticcheck // the driver offers nothing else
}

func (s *timedStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func namedToValues(args []driver.NamedValue) ([]driver.Value, error) {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, fmt.Errorf("sqldb: the driver does not take named parameters (%s)", a.Name)
		}
		out[i] = a.Value
	}
	return out, nil
}
