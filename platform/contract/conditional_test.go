package contract_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

func TestIfMatch(t *testing.T) {
	current := contract.MovieETag(7, 3)
	for _, tc := range []struct {
		lines   []string
		bad     bool
		present bool
		matches bool
	}{
		{lines: nil, matches: true},
		{lines: []string{"*"}, present: true, matches: true},
		{lines: []string{`"7-3"`}, present: true, matches: true},
		{lines: []string{`"7-2", "7-3"`}, present: true, matches: true},
		{lines: []string{`"7-2"`, `"7-3"`}, present: true, matches: true},
		{lines: []string{`"7-2"`}, present: true},
		// Strong comparison: a weak tag never matches, even with the same opaque part.
		{lines: []string{`W/"7-3"`}, present: true},
		{lines: []string{`"7-3",`}, present: true, matches: true},
		{lines: []string{""}, bad: true},
		{lines: []string{" , "}, bad: true},
		{lines: []string{"7-3"}, bad: true},
		{lines: []string{`"7-3`}, bad: true},
		{lines: []string{`"7 3"`}, bad: true},
		{lines: []string{`*, "7-3"`}, bad: true},
		{lines: []string{`w/"7-3"`}, bad: true},
	} {
		m, err := contract.ParseIfMatch(tc.lines)
		if tc.bad {
			if !errors.Is(err, contract.ErrBadIfMatch) {
				t.Errorf("%q: err %v, want ErrBadIfMatch", tc.lines, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.lines, err)
			continue
		}
		if m.Present() != tc.present || m.Matches(current) != tc.matches {
			t.Errorf("%q: present %v matches %v, want %v %v", tc.lines, m.Present(), m.Matches(current), tc.present, tc.matches)
		}
	}
}

func TestMovieETagRoundTrip(t *testing.T) {
	id, version, ok := contract.ParseMovieETag(contract.MovieETag(42, 9))
	if !ok || id != 42 || version != 9 {
		t.Errorf("got %d %d %v", id, version, ok)
	}
	for _, bad := range []string{"", `"42"`, `W/"42-9"`, `"0-1"`, `"1-0"`, `"a-1"`, `42-9`} {
		if _, _, ok := contract.ParseMovieETag(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseIdempotencyKey(t *testing.T) {
	for raw, want := range map[string]string{
		"8e03978e-40d5-43e8-bc93-6894a57f9324":   "8e03978e-40d5-43e8-bc93-6894a57f9324",
		`"8e03978e-40d5-43e8-bc93-6894a57f9324"`: "8e03978e-40d5-43e8-bc93-6894a57f9324",
		"a":                                      "a",
		strings.Repeat("k", contract.MaxIdempotencyKeyLen): strings.Repeat("k", contract.MaxIdempotencyKeyLen),
	} {
		if got, err := contract.ParseIdempotencyKey(raw); err != nil || got != want {
			t.Errorf("%q: %q %v", raw, got, err)
		}
	}
	for _, raw := range []string{"", `""`, `"`, `"abc`, "a b", "tab\there", "é", "a\x00", `a"b`, `a\b`,
		strings.Repeat("k", contract.MaxIdempotencyKeyLen+1)} {
		if _, err := contract.ParseIdempotencyKey(raw); !errors.Is(err, contract.ErrBadIdempotencyKey) {
			t.Errorf("%q: err %v, want ErrBadIdempotencyKey", raw, err)
		}
	}
}

// FuzzParseIfMatch: any If-Match value parses or is a 400, never a panic;
// a parsed header renders to a value that parses back the same, and a weak
// tag never matches (strong comparison). make test runs the seeds; explore with
//
//	go test ./contract -run '^$' -fuzz FuzzParseIfMatch -fuzztime 60s
func FuzzParseIfMatch(f *testing.F) {
	for _, seed := range []string{"", "*", `"1-1"`, `"1-1", "1-2"`, `W/"1-1"`, `"1-1",,`, `*, "1-1"`,
		`"a`, `"\x00"`, "\"\xff\"", " , ", `W/"`, `""`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := contract.ParseIfMatch([]string{raw})
		if err != nil {
			if apierr.KindOf(err) != apierr.Invalid {
				t.Fatalf("%q: %v is not a 400", raw, err)
			}
			return
		}
		back, err := contract.ParseIfMatch([]string{m.String()})
		if err != nil || back.String() != m.String() {
			t.Fatalf("%q: rendered %q parses as %q, %v", raw, m.String(), back.String(), err)
		}
		for _, tag := range m.Tags {
			if strings.HasPrefix(tag, "W/") && (contract.IfMatch{Tags: []string{tag}}).Matches(tag) {
				t.Fatalf("%q: weak tag %q matched", raw, tag)
			}
		}
	})
}

// FuzzParseIdempotencyKey: any value is a key or a 400, never a panic; a
// key is 1 to 255 visible ASCII characters and reads the same bare or quoted.
//
//	go test ./contract -run '^$' -fuzz FuzzParseIdempotencyKey -fuzztime 60s
func FuzzParseIdempotencyKey(f *testing.F) {
	for _, seed := range []string{"", "k", `"k"`, `"`, `""`, "a b", "é", strings.Repeat("x", 256), `"a\"b"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := contract.ParseIdempotencyKey(raw)
		if err != nil {
			if apierr.KindOf(err) != apierr.Invalid {
				t.Fatalf("%q: %v is not a 400", raw, err)
			}
			return
		}
		if key == "" || len(key) > contract.MaxIdempotencyKeyLen {
			t.Fatalf("%q: key %q out of bounds", raw, key)
		}
		for _, c := range []byte(key) {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("%q: key %q holds %q", raw, key, c)
			}
		}
		if quoted, err := contract.ParseIdempotencyKey(`"` + key + `"`); err != nil || quoted != key {
			t.Fatalf("%q: quoted form reads %q, %v", key, quoted, err)
		}
	})
}
