package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// Remote is what every service's HTTP client is built on: the service's
// base URL and the go-kit client options shared by its endpoints. Requests
// carry the context's request id; failed responses come back as the apierr
// errors the server encoded, so a remote service fails like a local one.
type Remote struct {
	service string
	base    *url.URL
	opts    []httptransport.ClientOption
}

// NewRemote parses baseURL (e.g. "http://127.0.0.1:8081") for service; a nil
// hc means http.DefaultClient; before adds per-service request headers.
func NewRemote(service, baseURL string, hc *http.Client, before ...httptransport.RequestFunc) (*Remote, error) {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("%s client: bad base URL %q", service, baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	before = append([]httptransport.RequestFunc{forwardRequestID}, before...)
	return &Remote{service: service, base: base, opts: []httptransport.ClientOption{
		httptransport.SetClient(hc), httptransport.ClientBefore(before...),
	}}, nil
}

// Path is route (a contract path) under the base URL's path.
func (rm *Remote) Path(route string) string { return rm.base.Path + route }

// Endpoint calls method on route; enc may add a query or a body, or replace
// the path (routes with an id).
func (rm *Remote) Endpoint(method, route string, enc httptransport.EncodeRequestFunc, dec httptransport.DecodeResponseFunc) endpoint.Endpoint {
	path := rm.Path(route)
	return httptransport.NewClient(method, rm.base, func(ctx context.Context, r *http.Request, req any) error {
		r.URL.Path = path
		if enc == nil {
			return nil
		}
		return enc(ctx, r, req)
	}, dec, rm.opts...).Endpoint()
}

// DecodeInto rebuilds the error of a failed response, or decodes a success
// body into a T and turns it into the endpoint's response with wrap.
func DecodeInto[T any](rm *Remote, wrap func(T) any) httptransport.DecodeResponseFunc {
	return func(_ context.Context, resp *http.Response) (any, error) {
		if err := ResponseError(resp); err != nil {
			return nil, err
		}
		var v T
		if err := ReadJSON(resp, &v); err != nil {
			return nil, fmt.Errorf("%s client: %w", rm.service, err)
		}
		return wrap(v), nil
	}
}

// DecodeEmpty rebuilds the error of a failed response, or answers ok.
func DecodeEmpty(ok any) httptransport.DecodeResponseFunc {
	return func(_ context.Context, resp *http.Response) (any, error) {
		if err := ResponseError(resp); err != nil {
			return nil, err
		}
		return ok, nil
	}
}

// ResponseError is the error a failed response carries, nil on success.
func ResponseError(resp *http.Response) error {
	if resp.StatusCode < 300 {
		return nil
	}
	return apierr.FromResponse(resp)
}

// ReadJSON decodes a response body of at most MaxResponseBytes.
func ReadJSON(resp *http.Response, v any) error {
	if err := json.NewDecoder(io.LimitReader(resp.Body, MaxResponseBytes)).Decode(v); err != nil {
		return fmt.Errorf("bad response body: %w", err)
	}
	return nil
}

// MaxResponseBytes bounds a response body a client reads (a full list page
// of long names is well under it).
const MaxResponseBytes = 16 << 20

// SetJSONBody makes v the request's JSON body (replayable on redirects).
func SetJSONBody(r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return nil
}

func forwardRequestID(ctx context.Context, r *http.Request) context.Context {
	if id := RequestID(ctx); id != "" {
		r.Header.Set(contract.HeaderRequestID, id)
	}
	return ctx
}
