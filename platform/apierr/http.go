package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Body is the JSON body of an error response.
func (e *Error) Body() any {
	if len(e.Fields) > 0 {
		return e.Fields
	}
	return map[string]string{"detail": e.Detail}
}

// Encode is THE error encoder: it writes err as a DRF-shaped JSON response.
// Unclassified errors become a 500 whose body reveals nothing internal. It
// satisfies go-kit's httptransport.ErrorEncoder.
func Encode(_ context.Context, err error, w http.ResponseWriter) {
	var e *Error
	if !errors.As(err, &e) {
		e = New(Internal, MsgServerError)
		if errors.Is(err, context.DeadlineExceeded) {
			e = ErrUpstreamSlow
		}
	}
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Kind.Status())
	_ = json.NewEncoder(w).Encode(e.Body())
}

// FromResponse rebuilds the error a remote service encoded with Encode. It
// reads (at most 64 KiB of) the body but does not close it.
func FromResponse(resp *http.Response) *Error {
	kind := KindOfStatus(resp.StatusCode)
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Kind: kind, Detail: http.StatusText(resp.StatusCode)}
	var detail struct {
		Detail *string `json:"detail"`
	}
	if json.Unmarshal(raw, &detail) == nil && detail.Detail != nil {
		e.Detail = *detail.Detail
	} else {
		var fields map[string][]string
		if json.Unmarshal(raw, &fields) == nil && len(fields) > 0 {
			e.Detail = "Invalid input."
			e.Fields = fields
		}
	}
	for _, k := range []string{"Allow", "WWW-Authenticate", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			e = e.WithHeader(k, v)
		}
	}
	return e
}
