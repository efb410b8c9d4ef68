package contract

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
)

func TestSearchQueryRoundTrips(t *testing.T) {
	lo, hi := 7.5, 90.0
	for _, q := range []SearchQuery{
		{Text: "star wars", Limit: 20, Facets: []string{FacetGenre}},
		{Text: "casab", Genres: []string{"Drama", "Sci-Fi"}, Director: "Michael Curtiz", IMDBScore: Range{Min: &lo},
			Popularity: Range{Max: &hi}, Sort: []Order{{Field: FieldPopularity, Desc: true}, {Field: FieldID}}, Offset: 40, Limit: 20},
	} {
		got, err := ParseSearchQuery(q.Values())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, q) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, q)
		}
	}
}

func TestSearchQueryDefaults(t *testing.T) {
	q, err := ParseSearchQuery(url.Values{"search": {"star"}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Sort != nil || q.Offset != 0 || q.Limit != DefaultPageSize || !reflect.DeepEqual(q.Facets, []string{FacetGenre}) {
		t.Errorf("defaults: %+v", q)
	}
	if q, _ := ParseSearchQuery(url.Values{"facets": {""}}); q.Facets != nil {
		t.Errorf("facets= should ask for none: %v", q.Facets)
	}
}

func TestSearchQueryRejectsBadInput(t *testing.T) {
	for _, v := range []url.Values{
		{"cursor": {"not-a-search-cursor"}},
		{"cursor": {SearchCursor(MaxSearchWindow)}},
		{"facets": {"year"}},
		{"page_size": {"0"}},
	} {
		_, err := ParseSearchQuery(v)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Kind != apierr.Invalid {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestSearchCursors(t *testing.T) {
	q := SearchQuery{Offset: 20, Limit: 20}
	next, prev := q.Cursors(100)
	if n, _ := parseSearchCursor(next); n != 40 {
		t.Errorf("next %d", n)
	}
	if p, _ := parseSearchCursor(prev); p != 0 || prev == "" {
		t.Errorf("prev %q", prev)
	}
	if next, prev := (SearchQuery{Limit: 20}).Cursors(20); next != "" || prev != "" {
		t.Errorf("single page has cursors %q %q", next, prev)
	}
	page := SearchResult{Hits: []Movie{{ID: 1}}, EstimatedTotal: 7, Next: "n"}.Page()
	if *page.Total != 7 || page.Next != "n" || len(page.Movies) != 1 {
		t.Errorf("page %+v", page)
	}
}

func TestSearchQueryTakesQAsSearch(t *testing.T) {
	want, err := ParseSearchQuery(url.Values{"search": {"godfater"}, "genre": {"Drama"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []url.Values{
		{"q": {"godfater"}, "genre": {"Drama"}},
		{"q": {" godfater "}, "search": {"godfater"}, "genre": {"Drama"}},
	} {
		got, err := ParseSearchQuery(v)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n got %+v\nwant %+v", v, got, want)
		}
	}
	for _, v := range []url.Values{
		{"q": {"godfather"}, "search": {"casablanca"}},
		{"q": {""}, "search": {"casablanca"}},
		{"q": {strings.Repeat("x", 256)}},
	} {
		_, err := ParseSearchQuery(v)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Kind != apierr.Invalid {
			t.Errorf("%v: want a validation error, got %v", v, err)
		}
	}
	_, err = ParseSearchQuery(url.Values{"q": {"a"}, "search": {"b"}})
	if msg := err.Error(); !strings.Contains(msg, "q and search") {
		t.Errorf("message does not say what is wrong: %q", msg)
	}
}
