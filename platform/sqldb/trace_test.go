package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestStatementsAreTracedWithoutTheirValues(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
			db, err := sqldb.Open(ctx, b.Driver, b.DSN(t), sqldb.WithTracing(tp))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "CREATE TABLE traced (id INTEGER PRIMARY KEY, secret VARCHAR(64))"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO traced (id, secret) VALUES (?, ?)", 1, "hunter2"); err != nil {
				t.Fatal(err)
			}
			var s string
			if err := db.QueryRowContext(ctx, "SELECT secret FROM traced WHERE id = ?", 1).Scan(&s); err != nil {
				t.Fatal(err)
			}
			parent.End()

			kinds := map[string]bool{}
			for _, span := range rec.Ended() {
				if span.Name() == "request" || span.Parent().SpanID() != parent.SpanContext().SpanID() {
					continue
				}
				attrs := attribute.NewSet(span.Attributes()...)
				if sys, _ := attrs.Value("db.system.name"); sys.AsString() != string(b.Driver) {
					t.Errorf("%s: db.system.name %q", span.Name(), sys.AsString())
				}
				for _, a := range span.Attributes() {
					if strings.Contains(a.Value.Emit(), "hunter2") {
						t.Errorf("%s: %s carries a parameter value", span.Name(), a.Key)
					}
				}
				if op, ok := attrs.Value("db.operation.name"); ok {
					kinds[op.AsString()] = span.Name() == op.AsString()
				}
			}
			for _, k := range []string{"CREATE", "INSERT", "SELECT"} {
				if !kinds[k] {
					t.Errorf("no span named %s with db.operation.name %[1]s under the request (got %v)", k, kinds)
				}
			}
		})
	}
}

func TestNoTracerLeavesTheDriverAlone(t *testing.T) {
	db, err := sqldb.Open(t.Context(), sqldb.SQLite, sqltest.SQLite(t), sqldb.WithTracing(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := strings.ToLower(typeName(db.Driver())); strings.Contains(got, "otel") {
		t.Fatalf("driver %s is wrapped", got)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
