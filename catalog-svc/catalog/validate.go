package catalog

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// Limits of a movie's fields. The store's columns are sized to match.
const (
	MaxNameLength      = 255
	MaxDirectorLength  = 255
	MaxGenreNameLength = 50
	MaxGenres          = 20
	MinPopularity      = 0
	MaxPopularity      = 100
	MinIMDBScore       = 0
	MaxIMDBScore       = 10
)

// ValidateNew checks a full movie (POST, PUT, import): every required field
// must be present. The result is normalized: strings trimmed, genres
// deduplicated case-insensitively in their given order.
func ValidateNew(in contract.MovieWrite) (contract.Movie, error) {
	return apply(contract.Movie{Genre: []contract.Genre{}}, in, true)
}

// ValidatePatch applies the fields present in p to cur (PATCH), checking only
// those fields.
func ValidatePatch(cur contract.Movie, p contract.MovieWrite) (contract.Movie, error) {
	return apply(cur, p, false)
}

func apply(m contract.Movie, in contract.MovieWrite, requireAll bool) (contract.Movie, error) {
	bad := map[string][]string{}
	fail := func(field, msg string) { bad[field] = append(bad[field], msg) }

	switch {
	case in.Name != nil:
		name := normalText(*in.Name)
		if msg := checkText(name, MaxNameLength, false); msg != "" {
			fail("name", msg)
		}
		m.Name = name
	case requireAll:
		fail("name", apierr.MsgRequired)
	}
	if in.Director != nil {
		director := normalText(*in.Director)
		if msg := checkText(director, MaxDirectorLength, true); msg != "" {
			fail("director", msg)
		}
		m.Director = director
	}
	checkNumber("popularity", in.Popularity, MinPopularity, MaxPopularity, requireAll, &m.Popularity, fail)
	checkNumber("imdb_score", in.IMDBScore, MinIMDBScore, MaxIMDBScore, requireAll, &m.IMDBScore, fail)
	if in.Genre != nil {
		genres, msg := normalizeGenres(*in.Genre)
		if msg != "" {
			fail("genre", msg)
		}
		m.Genre = genres
	}
	if m.Genre == nil {
		m.Genre = []contract.Genre{}
	}
	if len(bad) > 0 {
		return contract.Movie{}, apierr.Validation(bad)
	}
	return m, nil
}

func checkText(s string, maxLen int, blankOK bool) string {
	switch {
	case s == "" && !blankOK:
		return "This field may not be blank."
	case !utf8.ValidString(s):
		return "Not a valid string."
	case strings.IndexFunc(s, isControl) >= 0:
		return "Control and bidirectional formatting characters are not allowed."
	case utf8.RuneCountInString(s) > maxLen:
		return "Ensure this field has no more than " + strconv.Itoa(maxLen) + " characters."
	}
	return ""
}

// normalText is a name, director or genre as stored: trimmed and in
// Unicode NFC, so "é" typed as one code point or as e + U+0301 is one name
// (one sort key, one genre, one search match).
func normalText(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// isControl reports the characters refused in text fields: C0 and C1
// controls (tabs and newlines included) and DEL, and the bidirectional
// formatting characters (U+061C, U+200E/F, U+202A-202E, U+2066-2069) that
// make a name display as another ("Trojan Source", CVE-2021-42574).
func isControl(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func checkNumber(field string, v *float64, lo, hi float64, required bool, dst *contract.Float, fail func(string, string)) {
	switch {
	case v == nil:
		if required {
			fail(field, apierr.MsgRequired)
		}
	case math.IsNaN(*v) || math.IsInf(*v, 0):
		fail(field, "A valid number is required.")
	case *v < lo:
		fail(field, "Ensure this value is greater than or equal to "+strconv.FormatFloat(lo, 'f', -1, 64)+".")
	case *v > hi:
		fail(field, "Ensure this value is less than or equal to "+strconv.FormatFloat(hi, 'f', -1, 64)+".")
	default:
		*dst = contract.Float(*v)
	}
}

// normalizeGenres trims names and merges duplicates (case-insensitively,
// keeping the first spelling), preserving order.
func normalizeGenres(in []contract.Genre) ([]contract.Genre, string) {
	out := make([]contract.Genre, 0, len(in))
	seen := map[string]bool{}
	for _, g := range in {
		name := normalText(g.Name)
		if name == "" {
			return nil, "Genre names may not be blank."
		}
		if msg := checkText(name, MaxGenreNameLength, false); msg != "" {
			return nil, "Genre \"" + truncate(name, MaxGenreNameLength) + "\": " + msg
		}
		key := FoldKey(name)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, contract.Genre{Name: name})
	}
	if len(out) > MaxGenres {
		return nil, "Ensure this field has no more than " + strconv.Itoa(MaxGenres) + " elements."
	}
	return out, ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// FoldKey is the form names, directors and genres are compared and sorted in
// for case-insensitive matching; genres with one key are one genre. It is computed here, not by the database,
// so SQLite (ASCII-only case folding) and MySQL (collation-dependent) agree.
func FoldKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
