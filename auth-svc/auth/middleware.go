package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/svcmetrics"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs each call with its outcome. It logs usernames, never
// passwords or tokens. Failed logins are logged at info level (they matter
// to whoever watches for password guessing), server errors at error level,
// the rest at debug.
func LoggingMiddleware(log *slog.Logger) Middleware {
	return func(next Service) Service { return loggingService{log, next} }
}

type loggingService struct {
	log  *slog.Logger
	next Service
}

func (s loggingService) done(ctx context.Context, method string, start time.Time, err error, attrs ...any) {
	level := slog.LevelDebug
	switch apierr.KindOf(err) {
	case apierr.Internal:
		if err != nil {
			level = slog.LevelError
		}
	case apierr.TooManyRequests:
		level = slog.LevelWarn
	default:
		if method == "Login" {
			level = slog.LevelInfo
		}
	}
	attrs = append(attrs, "method", method, "duration", time.Since(start))
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	if addr := ClientAddr(ctx); addr != "" {
		attrs = append(attrs, "client", addr)
	}
	s.log.Log(ctx, level, "auth call", attrs...)
}

func (s loggingService) Login(ctx context.Context, c contract.Credentials) (tok contract.TokenResponse, err error) {
	defer func(start time.Time) { s.done(ctx, "Login", start, err, "username", loggable(c.Username)) }(time.Now())
	return s.next.Login(ctx, c)
}

// loggable bounds an unvalidated username (a login's may be up to a body
// long) to the longest valid one.
func loggable(username string) string {
	if r := []rune(username); len(r) > MaxUsernameLength {
		return string(r[:MaxUsernameLength]) + "…"
	}
	return username
}

func (s loggingService) Revoke(ctx context.Context, token string) (err error) {
	defer func(start time.Time) { s.done(ctx, "Revoke", start, err) }(time.Now())
	return s.next.Revoke(ctx, token)
}

func (s loggingService) Introspect(ctx context.Context, token string) (id contract.Identity, err error) {
	defer func(start time.Time) { s.done(ctx, "Introspect", start, err, "username", id.Username) }(time.Now())
	return s.next.Introspect(ctx, token)
}

func (s loggingService) CreateUser(ctx context.Context, u contract.NewUser) (created contract.User, err error) {
	defer func(start time.Time) {
		s.done(ctx, "CreateUser", start, err, "username", created.Username, "is_admin", created.IsAdmin)
	}(time.Now())
	return s.next.CreateUser(ctx, u)
}

// InstrumentingMiddleware counts calls by method and outcome and times them,
// on reg (auth_service_calls_total, auth_service_call_duration_seconds).
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := svcmetrics.NewCalls(reg, "auth")
	return func(next Service) Service { return instrumentingService{next, calls.Observe} }
}

type instrumentingService struct {
	next    Service
	observe func(method string, start time.Time, err error)
}

func (s instrumentingService) Login(ctx context.Context, c contract.Credentials) (_ contract.TokenResponse, err error) {
	defer func(start time.Time) { s.observe("Login", start, err) }(time.Now())
	return s.next.Login(ctx, c)
}

func (s instrumentingService) Revoke(ctx context.Context, token string) (err error) {
	defer func(start time.Time) { s.observe("Revoke", start, err) }(time.Now())
	return s.next.Revoke(ctx, token)
}

func (s instrumentingService) Introspect(ctx context.Context, token string) (_ contract.Identity, err error) {
	defer func(start time.Time) { s.observe("Introspect", start, err) }(time.Now())
	return s.next.Introspect(ctx, token)
}

func (s instrumentingService) CreateUser(ctx context.Context, u contract.NewUser) (_ contract.User, err error) {
	defer func(start time.Time) { s.observe("CreateUser", start, err) }(time.Now())
	return s.next.CreateUser(ctx, u)
}
