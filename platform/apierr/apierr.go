// Package apierr is the error vocabulary shared by every service: a small set
// of kinds, each with exactly one HTTP status, and a body in Django REST
// Framework's shape ({"detail": "..."} or {"field": ["message"]}).
//
// Services declare their sentinel errors with New, so business code never
// mentions HTTP, and the one encoder (Encode) is the only place that turns a
// kind into a status code. Clients rebuild the same errors from responses
// (FromResponse), so a remote service fails exactly like a local one.
package apierr

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds. Their order is not meaningful.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Unauthenticated
	Forbidden
	Conflict
	MethodNotAllowed
	TooLarge
	UnsupportedMediaType
	TooManyRequests
	Unavailable
	Timeout
	// PreconditionFailed: an If-Match names a version that is not current.
	PreconditionFailed
	// PreconditionRequired: the server wants a conditional request.
	PreconditionRequired
	// Unprocessable: well-formed, but in contradiction with what the
	// server already holds (an Idempotency-Key reused for another body).
	Unprocessable
)

var kindStatus = map[Kind]int{
	Internal:             http.StatusInternalServerError,
	Invalid:              http.StatusBadRequest,
	NotFound:             http.StatusNotFound,
	Unauthenticated:      http.StatusUnauthorized,
	Forbidden:            http.StatusForbidden,
	Conflict:             http.StatusConflict,
	MethodNotAllowed:     http.StatusMethodNotAllowed,
	TooLarge:             http.StatusRequestEntityTooLarge,
	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	TooManyRequests:      http.StatusTooManyRequests,
	Unavailable:          http.StatusServiceUnavailable,
	Timeout:              http.StatusGatewayTimeout,
	PreconditionFailed:   http.StatusPreconditionFailed,
	PreconditionRequired: http.StatusPreconditionRequired,
	Unprocessable:        http.StatusUnprocessableEntity,
}

// Status is the HTTP status code of a kind.
func (k Kind) Status() int { return kindStatus[k] }

// KindOfStatus maps a status code back to a kind; unknown codes are Internal
// (5xx) or Invalid (other 4xx).
func KindOfStatus(status int) Kind {
	for k, s := range kindStatus {
		if s == status {
			return k
		}
	}
	if status >= 400 && status < 500 {
		return Invalid
	}
	return Internal
}

// Error is a classified error with a client-safe message. Fields, when set,
// holds per-field validation messages and replaces Detail in the body.
type Error struct {
	Kind   Kind
	Detail string
	Fields map[string][]string
	// Header holds response headers the error requires (Allow, WWW-Authenticate, Retry-After).
	Header http.Header
	// cause is logged, never shown to clients.
	cause error
}

// New returns an error of kind k with a client-facing detail message.
func New(k Kind, detail string) *Error { return &Error{Kind: k, Detail: detail} }

// Newf is New with formatting.
func Newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// Validation returns an Invalid error carrying per-field messages.
func Validation(fields map[string][]string) *Error {
	return &Error{Kind: Invalid, Detail: "Invalid input.", Fields: fields}
}

// Wrap returns a copy of e that records cause for logs and errors.Unwrap.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// WithHeader returns a copy of e that sets a response header.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Header = e.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return &c
}

func (e *Error) Error() string {
	msg := e.Detail
	if len(e.Fields) > 0 {
		var parts []string
		for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
			parts = append(parts, f+": "+strings.Join(e.Fields[f], " "))
		}
		msg = strings.Join(parts, "; ")
	}
	if e.cause != nil {
		return msg + ": " + e.cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.cause }

// Is matches errors of the same kind whose detail is equal (any detail when
// the target's is empty) and, when the target names fields, whose field
// messages are equal. Errors rebuilt from a remote response therefore match
// the sentinel they were encoded from, and only that one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Kind != e.Kind || (t.Detail != "" && t.Detail != e.Detail) {
		return false
	}
	if t.Fields == nil {
		return true
	}
	return maps.EqualFunc(t.Fields, e.Fields, slices.Equal[[]string])
}

// KindOf returns the kind of err, Internal when it is not classified.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// IsServerFault tells whether err is the server's fault (a 5xx): worth an
// error log and a breaker's count, unlike the caller's mistakes (4xx).
func IsServerFault(err error) bool {
	return err != nil && KindOf(err).Status() >= http.StatusInternalServerError
}

// The messages Django REST Framework uses, so seed clients see familiar text.
const (
	MsgNotFound        = "Not found."
	MsgNotProvided     = "Authentication credentials were not provided."
	MsgInvalidToken    = "Invalid token."
	MsgForbidden       = "You do not have permission to perform this action."
	MsgRequired        = "This field is required."
	MsgServerError     = "A server error occurred."
	MsgTooLarge        = "Request body is too large."
	MsgThrottled       = "Request was throttled."
	MsgUnavailable     = "Service temporarily unavailable, try again later."
	MsgUpstreamTimeout = "Upstream service timed out."
)

// Common errors shared by all services.
var (
	ErrNotFound     = New(NotFound, MsgNotFound)
	ErrNotProvided  = New(Unauthenticated, MsgNotProvided).WithHeader("WWW-Authenticate", `Token realm="api"`)
	ErrInvalidToken = New(Unauthenticated, MsgInvalidToken).WithHeader("WWW-Authenticate", `Token realm="api"`)
	ErrForbidden    = New(Forbidden, MsgForbidden)
	ErrTooLarge     = New(TooLarge, MsgTooLarge)
	ErrThrottled    = New(TooManyRequests, MsgThrottled)
	ErrUnavailable  = New(Unavailable, MsgUnavailable)
	ErrUpstreamSlow = New(Timeout, MsgUpstreamTimeout)
)

// The errors of conditional writes (If-Match, RFC 9110 13.1.1) and
// idempotent creates (the IETF Idempotency-Key draft). They are about the
// request's headers, so any service that honours them answers alike.
var (
	// ErrPreconditionFailed: the If-Match did not match the current
	// version; the client reads the resource again and retries.
	ErrPreconditionFailed = New(PreconditionFailed,
		"The resource has changed since the version named in If-Match. Fetch it again and retry.")
	// ErrPreconditionRequired: writes must name the version they change.
	ErrPreconditionRequired = New(PreconditionRequired,
		"This request must be conditional: send If-Match with the ETag of the version you change, or * for any.")
	// ErrIdempotencyKeyReused: the key was used for a request with another body.
	ErrIdempotencyKeyReused = New(Unprocessable,
		"This Idempotency-Key was used for a request with another body. Use a new key for a new request.")
)

// MethodNotAllowed is the 405 error for method, listing the allowed ones.
func MethodNotAllowedError(method string, allowed []string) *Error {
	return Newf(MethodNotAllowed, "Method %q not allowed.", method).
		WithHeader("Allow", strings.Join(allowed, ", "))
}

// UnsupportedMediaTypeError is the 415 error for a request content type.
func UnsupportedMediaTypeError(contentType string) *Error {
	return Newf(UnsupportedMediaType, "Unsupported media type %q in request.", contentType)
}
