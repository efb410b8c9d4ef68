package apierr_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/moviesplatform/platform/apierr"
)

// roundTrip encodes err as a server would and rebuilds it as a client does.
func roundTrip(err error) error {
	rec := httptest.NewRecorder()
	apierr.Encode(nil, err, rec)
	return apierr.FromResponse(rec.Result())
}

func TestRemoteErrorsMatchOnlyTheirSentinel(t *testing.T) {
	badCreds := apierr.Validation(map[string][]string{"non_field_errors": {"Unable to log in."}})
	taken := apierr.Validation(map[string][]string{"username": {"Taken."}})

	got := roundTrip(badCreds.Wrap(errors.New("internal cause")))
	if !errors.Is(got, badCreds) {
		t.Errorf("rebuilt %v does not match its sentinel", got)
	}
	if errors.Is(got, taken) {
		t.Errorf("rebuilt %v matches another validation sentinel", got)
	}
	if got := roundTrip(apierr.ErrInvalidToken); !errors.Is(got, apierr.ErrInvalidToken) || errors.Is(got, apierr.ErrNotProvided) {
		t.Errorf("rebuilt %v: wrong match", got)
	}
}

func TestEncodeHidesUnclassifiedErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	apierr.Encode(nil, errors.New("dial tcp 10.0.0.1: secret detail"), rec)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if body := rec.Body.String(); body != "{\"detail\":\"A server error occurred.\"}\n" {
		t.Errorf("body %q leaks or changes the message", body)
	}
}

func TestStatusesRoundTrip(t *testing.T) {
	for _, e := range []*apierr.Error{apierr.ErrNotFound, apierr.ErrForbidden, apierr.ErrTooLarge, apierr.ErrThrottled,
		apierr.ErrUnavailable, apierr.ErrUpstreamSlow, apierr.MethodNotAllowedError("PATCH", []string{"GET"}),
		apierr.ErrPreconditionFailed, apierr.ErrPreconditionRequired, apierr.ErrIdempotencyKeyReused} {
		got := roundTrip(e)
		if !errors.Is(got, e) {
			t.Errorf("%v (%d) came back as %v", e, e.Kind.Status(), got)
		}
	}
	if got := roundTrip(apierr.MethodNotAllowedError("PATCH", []string{"GET", "HEAD"})).(*apierr.Error); got.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow header lost: %v", got.Header)
	}
}
