package contract

import (
	"net/url"
	"strconv"
	"time"

	"github.com/moviesplatform/platform/apierr"
)

// RouteInternalFeedLease is a change-feed consumer's lease (issue 10): PUT
// takes or renews it (FeedLeaseRequest, answered with the FeedLease, or 409
// ErrFeedLeaseHeld), DELETE ?holder=H releases it (204). Only the holder
// of a lease records the consumer's position, which bounds what the
// catalog's feed retention may trim.
const RouteInternalFeedLease = "/internal/feed/consumers/{name}/lease"

// ParamHolder names the holder releasing a lease (DELETE).
const ParamHolder = "holder"

// FeedLeasePath is the lease route of consumer name.
func FeedLeasePath(name string) string {
	return "/internal/feed/consumers/" + url.PathEscape(name) + "/lease"
}

// Bounds of a lease request.
const (
	MinFeedLeaseTTL       = time.Second
	MaxFeedLeaseTTL       = 5 * time.Minute
	MaxFeedConsumerLen    = 100
	MaxFeedLeaseHolderLen = 200
)

// FeedLeaseRequest takes or renews a consumer's lease for TTLMillis from
// now. Position, when set, is the feed sequence the holder has applied; it
// is recorded only when the lease is granted.
type FeedLeaseRequest struct {
	Holder    string `json:"holder"`
	TTLMillis int64  `json:"ttl_ms"`
	Position  *int64 `json:"position,omitempty"`
}

// TTL is the requested lease duration.
func (r FeedLeaseRequest) TTL() time.Duration { return time.Duration(r.TTLMillis) * time.Millisecond }

// FeedLease is a granted lease.
type FeedLease struct {
	Consumer  string    `json:"consumer"`
	Holder    string    `json:"holder"`
	ExpiresAt time.Time `json:"expires_at"`
	Position  int64     `json:"position"`
}

// Errors of the feed leases.
var (
	// ErrFeedLeaseHeld: another holder's lease on the consumer has not
	// expired. The caller stands by and asks again later.
	ErrFeedLeaseHeld = apierr.New(apierr.Conflict, "The feed consumer's lease is held by another holder.")
)

// ValidateFeedLease checks a lease request on consumer name: every
// problem is a 400 naming its field, and nothing is stored.
func ValidateFeedLease(name string, r FeedLeaseRequest) error {
	bad := map[string][]string{}
	if !validFeedName(name, MaxFeedConsumerLen) {
		bad["name"] = []string{"Expected 1 to " + strconv.Itoa(MaxFeedConsumerLen) + " letters, digits or . _ : - characters."}
	}
	if !validFeedName(r.Holder, MaxFeedLeaseHolderLen) {
		bad["holder"] = []string{"Expected 1 to " + strconv.Itoa(MaxFeedLeaseHolderLen) + " letters, digits or . _ : - characters."}
	}
	if ttl := r.TTL(); ttl < MinFeedLeaseTTL || ttl > MaxFeedLeaseTTL {
		bad["ttl_ms"] = []string{"Ensure this value is between " + strconv.FormatInt(MinFeedLeaseTTL.Milliseconds(), 10) +
			" and " + strconv.FormatInt(MaxFeedLeaseTTL.Milliseconds(), 10) + "."}
	}
	if r.Position != nil && *r.Position < 0 {
		bad["position"] = []string{"A valid non-negative integer is required."}
	}
	if len(bad) > 0 {
		return apierr.Validation(bad)
	}
	return nil
}

// ValidateFeedRelease checks a release of consumer name by holder.
func ValidateFeedRelease(name, holder string) error {
	return ValidateFeedLease(name, FeedLeaseRequest{Holder: holder, TTLMillis: MinFeedLeaseTTL.Milliseconds()})
}

func validFeedName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
