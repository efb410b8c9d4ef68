package contract

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// Headers of conditional writes (RFC 9110 section 13) and idempotent
// creates (the IETF httpapi Idempotency-Key draft).
const (
	HeaderETag           = "ETag"
	HeaderIfMatch        = "If-Match"
	HeaderIfNoneMatch    = "If-None-Match"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// MaxIdempotencyKeyLen bounds an Idempotency-Key: it is stored, and
// indexed, with every create that carries one.
const MaxIdempotencyKeyLen = 255

// Errors of the conditional headers themselves: malformed values are the
// client's mistake, a 400 naming the header.
var (
	ErrBadIfMatch = apierr.Validation(map[string][]string{HeaderIfMatch: {
		`Expected "*" or a comma-separated list of entity tags, such as "12-3".`}})
	ErrBadIdempotencyKey = apierr.Validation(map[string][]string{HeaderIdempotencyKey: {
		"Expected 1 to " + strconv.Itoa(MaxIdempotencyKeyLen) +
			" visible ASCII characters, bare or as a quoted string, such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\"."}})
)

// MovieETag is the strong entity tag of version of movie id. Every write
// raises the version in the transaction that makes it, so the tag changes
// exactly when the representation may have.
func MovieETag(id, version int64) string {
	return `"` + strconv.FormatInt(id, 10) + "-" + strconv.FormatInt(version, 10) + `"`
}

// ParseMovieETag reads back a tag MovieETag made; ok is false for any other.
func ParseMovieETag(tag string) (id, version int64, ok bool) {
	inner, found := strings.CutPrefix(tag, `"`)
	if inner, found = strings.CutSuffix(inner, `"`); !found {
		return 0, 0, false
	}
	rawID, rawVersion, found := strings.Cut(inner, "-")
	if !found {
		return 0, 0, false
	}
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil || id < 1 {
		return 0, 0, false
	}
	version, err = strconv.ParseInt(rawVersion, 10, 64)
	if err != nil || version < 1 {
		return 0, 0, false
	}
	return id, version, true
}

// IfMatch is a parsed If-Match header. The zero value is "no header": the
// write is unconditional.
type IfMatch struct {
	// Any is "*": the write proceeds if the resource exists.
	Any bool
	// Tags are the entity tags listed, each as sent (quotes and any W/).
	Tags []string
}

// Present tells whether the request carried If-Match at all.
func (m IfMatch) Present() bool { return m.Any || len(m.Tags) > 0 }

// Matches applies If-Match to a resource whose current strong tag is
// current: "*" matches any, a listed tag matches by strong comparison (RFC
// 9110 8.8.3.2), so a weak tag never does. The absent header matches.
func (m IfMatch) Matches(current string) bool {
	if !m.Present() || m.Any {
		return true
	}
	for _, t := range m.Tags {
		if !strings.HasPrefix(t, "W/") && t == current {
			return true
		}
	}
	return false
}

// String renders m as a header value ("" when absent).
func (m IfMatch) String() string {
	if m.Any {
		return "*"
	}
	return strings.Join(m.Tags, ", ")
}

// ParseIfMatch parses the If-Match field lines of a request (RFC 9110
// 13.1.1: "*" or a list of entity tags). No lines is the absent header;
// anything malformed is ErrBadIfMatch.
func ParseIfMatch(lines []string) (IfMatch, error) {
	var m IfMatch
	for _, line := range lines {
		for _, member := range strings.Split(line, ",") {
			member = strings.TrimSpace(member)
			switch {
			case member == "":
				// Empty list members are allowed and ignored (RFC 9110 5.6.1).
			case member == "*":
				m.Any = true
			case validEntityTag(member):
				m.Tags = append(m.Tags, member)
			default:
				return IfMatch{}, ErrBadIfMatch
			}
		}
	}
	if len(lines) > 0 && !m.Present() || m.Any && len(m.Tags) > 0 {
		// "*" stands alone, and a header with no member says nothing.
		return IfMatch{}, ErrBadIfMatch
	}
	return m, nil
}

// validEntityTag checks entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc
// being visible ASCII but DQUOTE, or obs-text (RFC 9110 8.8.3). No etagc
// is a comma, so splitting a list at commas cannot cut a valid tag.
func validEntityTag(t string) bool {
	t = strings.TrimPrefix(t, "W/")
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return false
	}
	for i := 1; i < len(t)-1; i++ {
		c := t[i]
		if c != 0x21 && (c < 0x23 || c > 0x7e) && c < 0x80 {
			return false
		}
	}
	return true
}

// IfMatchOf reads the If-Match of request headers h.
func IfMatchOf(h http.Header) (IfMatch, error) { return ParseIfMatch(h.Values(HeaderIfMatch)) }

// IdempotencyKeyOf reads the Idempotency-Key of request headers h: "" when
// there is none; ErrBadIdempotencyKey when it is malformed or sent twice.
func IdempotencyKeyOf(h http.Header) (string, error) {
	raw, sent := h[http.CanonicalHeaderKey(HeaderIdempotencyKey)]
	if !sent {
		return "", nil
	}
	if len(raw) != 1 {
		return "", ErrBadIdempotencyKey
	}
	return ParseIdempotencyKey(raw[0])
}

// ParseIdempotencyKey reads an Idempotency-Key header value: the draft's
// quoted string ("...") or, as most clients send it, the bare key. The key
// is 1 to MaxIdempotencyKeyLen visible ASCII characters (no spaces, no
// quotes or backslashes, so it needs no escaping and logs as it is).
func ParseIdempotencyKey(raw string) (string, error) {
	key := raw
	if strings.HasPrefix(raw, `"`) {
		inner, ok := strings.CutSuffix(raw[1:], `"`)
		if !ok {
			return "", ErrBadIdempotencyKey
		}
		key = inner
	}
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return "", ErrBadIdempotencyKey
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return "", ErrBadIdempotencyKey
		}
	}
	return key, nil
}
