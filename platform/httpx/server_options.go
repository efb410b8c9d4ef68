package httpx

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-kit/kit/transport"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/endpointmw"
)

// ServerOptions are the go-kit server options every service's transport
// uses: errors go through the one encoder (apierr.Encode), and transport
// failures that are the server's fault are logged. before adds the
// service's own request functions (reading a forwarded header, say).
func ServerOptions(log *slog.Logger, service string, before ...httptransport.RequestFunc) []httptransport.ServerOption {
	return []httptransport.ServerOption{
		httptransport.ServerBefore(before...),
		httptransport.ServerErrorEncoder(apierr.Encode),
		httptransport.ServerErrorHandler(transport.ErrorHandlerFunc(func(ctx context.Context, err error) {
			if apierr.IsServerFault(err) {
				log.ErrorContext(ctx, service+" transport", "error", err)
			}
		})),
	}
}

// EncodeFailure writes the business error a response carries, reporting
// whether there was one; a response encoder writes the success otherwise.
func EncodeFailure(ctx context.Context, w http.ResponseWriter, resp any) bool {
	if err := endpointmw.Failure(resp, nil); err != nil {
		apierr.Encode(ctx, err, w)
		return true
	}
	return false
}
