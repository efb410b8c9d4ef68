package contract_test

import (
	"net/url"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// FuzzParseListQuery: any query string is a list query or a 400, never a
// panic, and a parsed query's canonical form parses back to itself (what
// cache keys and cursors rely on). make test runs the seeds; explore with
//
//	go test ./contract -run '^$' -fuzz FuzzParseListQuery -fuzztime 60s
func FuzzParseListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "search=star+wars", "genre=Drama&genre=Comedy,War", "ordering=-popularity,name",
		"page_size=500&imdb_score_min=7.5", "director=%20Nolan%20", "ordering=-nope", "page_size=0",
		"popularity_min=NaN", "cursor=c.", "search=" + "x%00y", "genre=,,,", "imdb_score_max=1e400",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := contract.ParseListQuery(v)
		if err != nil {
			if apierr.KindOf(err) != apierr.Invalid {
				t.Fatalf("%q: %v is not a 400", raw, err)
			}
			return
		}
		canonical := q.Canonical()
		cv, err := url.ParseQuery(canonical)
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", raw, canonical, err)
		}
		again, err := contract.ParseListQuery(cv)
		if err != nil {
			t.Fatalf("%q: canonical %q is refused: %v", raw, canonical, err)
		}
		if again.Canonical() != canonical {
			t.Fatalf("%q: canonical %q reads back as %q", raw, canonical, again.Canonical())
		}
	})
}

// FuzzParseSearchQuery: any query string is a search query or a 400.
func FuzzParseSearchQuery(f *testing.F) {
	for _, seed := range []string{"q=godfater", "search=casab&genre=Drama", "q=a&search=b", "cursor=o.99999999", "facets=genre"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, err := contract.ParseSearchQuery(v); err != nil && apierr.KindOf(err) != apierr.Invalid {
			t.Fatalf("%q: %v is not a 400", raw, err)
		}
	})
}
