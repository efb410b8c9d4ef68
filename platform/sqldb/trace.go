package sqldb

import (
	"context"
	"database/sql/driver"
	"strings"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	tracer  trace.TracerProvider
	metrics *Metrics
	dbName  string
	maxOpen int
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithMaxOpenConns caps each MySQL pool at n connections instead of 64, so
// pods × pools × n can be kept under the server's max_connections (the Helm
// chart checks that sum, docs/kubernetes.md). n <= 0 keeps 64.
func WithMaxOpenConns(n int) Option {
	return func(o *options) { o.maxOpen = n }
}

// WithTracing makes a span of every statement, transaction and new
// connection on tp (github.com/XSAM/otelsql): db.system.name, the statement
// kind (db.operation.name: SELECT, INSERT, ...) and the statement text with
// its placeholders, never the parameter values. A nil or no-op provider
// leaves the driver unwrapped.
func WithTracing(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// traced reports whether statements are to be traced.
// (The test telemetry.On makes, not called: sqldb stays free of telemetry's
// exporters, which tools using only sqldb do not need.)
func (o options) traced() bool {
	if o.tracer == nil {
		return false
	}
	_, off := o.tracer.(noop.TracerProvider)
	return !off
}

func (o options) otelsql(d Driver) []otelsql.Option {
	system := semconv.DBSystemNameSQLite
	if d == MySQL {
		system = semconv.DBSystemNameMySQL
	}
	return []otelsql.Option{
		otelsql.WithTracerProvider(o.tracer),
		otelsql.WithAttributes(system),
		otelsql.WithAttributesGetter(func(_ context.Context, _ otelsql.Method, query string, _ []driver.NamedValue) []attribute.KeyValue {
			if kind := statementKind(query); kind != "" {
				return []attribute.KeyValue{semconv.DBOperationName(kind)}
			}
			return nil
		}),
		otelsql.WithSpanNameFormatter(func(_ context.Context, method otelsql.Method, query string) string {
			if kind := statementKind(query); kind != "" {
				return kind
			}
			return string(method)
		}),
		// A span per statement and transaction, not per pooled-connection
		// chore or rows iteration: what an SRE reads in a slow request.
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true,
			OmitConnResetSession: true,
			OmitConnPrepare:      true,
			OmitRows:             true,
			// Only inside a trace: a background query (a replica's lag
			// check, an idle feed poll) alone is a root trace of noise.
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	}
}

// statementKind is the statement's first keyword, upper-cased ("SELECT"),
// or "" for no statement.
func statementKind(query string) string {
	query = strings.TrimLeft(query, " \t\r\n(")
	end := strings.IndexAny(query, " \t\r\n(")
	if end < 0 {
		end = len(query)
	}
	return strings.ToUpper(query[:end])
}
