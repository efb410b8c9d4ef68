package contract_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

func TestFloatRendersLikeDRF(t *testing.T) {
	for in, want := range map[float64]string{80: "80.0", 8.8: "8.8", 0: "0.0", 100: "100.0", 7.25: "7.25"} {
		b, err := json.Marshal(contract.Float(in))
		if err != nil || string(b) != want {
			t.Errorf("Float(%v) = %s, %v; want %s", in, b, err, want)
		}
	}
}

func TestGenreAcceptsObjectOrString(t *testing.T) {
	var gs []contract.Genre
	if err := json.Unmarshal([]byte(`[{"name":"Drama"},"War"]`), &gs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gs, []contract.Genre{{Name: "Drama"}, {Name: "War"}}) {
		t.Errorf("got %v", gs)
	}
}

func TestParseListQueryRoundTrips(t *testing.T) {
	in := url.Values{
		"search": {" star  wars "}, "genre": {"Drama,War", "Sci-Fi"}, "director": {"George Lucas"},
		"imdb_score_min": {"7.5"}, "popularity_max": {"90"}, "ordering": {"-popularity,name"},
		"page_size": {"20"}, "cursor": {"abc"}, "unknown": {"ignored"},
	}
	q, err := contract.ParseListQuery(in)
	if err != nil {
		t.Fatal(err)
	}
	if q.Search != "star  wars" || len(q.SearchTerms()) != 2 || len(q.Genres) != 3 || q.PageSize != 20 {
		t.Errorf("parsed %+v", q)
	}
	if got := contract.OrderingString(q.Ordering); got != "-popularity,name,id" {
		t.Errorf("ordering %q: must end with id", got)
	}
	back, err := contract.ParseListQuery(q.Values())
	if err != nil || !reflect.DeepEqual(back, q) {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, q)
	}
}

func TestParseListQueryRejectsBadValues(t *testing.T) {
	for param, value := range map[string]string{
		"page_size": "0", "ordering": "budget", "imdb_score_min": "11", "popularity_min": "x",
	} {
		_, err := contract.ParseListQuery(url.Values{param: {value}})
		var e *apierr.Error
		if !errors.As(err, &e) || e.Kind != apierr.Invalid || e.Fields[param] == nil {
			t.Errorf("%s=%s: error %v, want a field error on %s", param, value, err, param)
		}
	}
	_, err := contract.ParseListQuery(url.Values{"imdb_score_min": {"8"}, "imdb_score_max": {"7"}})
	if err == nil {
		t.Error("min > max accepted")
	}
}

// Ties are broken by id in the direction of the last key, so that one
// ascending index serves a key in both directions.
func TestParseOrderingEndsWithIDInTheLastKeysDirection(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "id",
		"name":                    "name,id",
		"-popularity":             "-popularity,-id",
		"-popularity,name":        "-popularity,name,id",
		"name,-imdb_score":        "name,-imdb_score,-id",
		"-popularity,id":          "-popularity,id",
		"-id,name":                "-id",
		" -director , -director ": "-director,-id",
	} {
		got, msg := contract.ParseOrdering(raw)
		if msg != "" || contract.OrderingString(got) != want {
			t.Errorf("ParseOrdering(%q) = %s %q, want %s", raw, contract.OrderingString(got), msg, want)
		}
	}
}

// One page asked for in different spellings has one canonical string, and
// parameters the list does not know are not part of it.
func TestCanonicalIsTheSameForTheSamePage(t *testing.T) {
	spellings := []url.Values{
		{"genre": {"Drama,War"}, "imdb_score_min": {"7.50"}, "ordering": {"-popularity"}, "junk": {strings.Repeat("x", 20000)}},
		{"genre": {"Drama", "War"}, "imdb_score_min": {"7.5"}, "ordering": {"-popularity,-id"}, "page_size": {"100"}},
		{"ordering": {" -popularity , -popularity "}, "genre": {" Drama ", "War"}, "imdb_score_min": {"07.5"}, "utm_source": {"x"}},
	}
	var want string
	for i, v := range spellings {
		q, err := contract.ParseListQuery(v)
		if err != nil {
			t.Fatal(err)
		}
		got := q.Canonical()
		if i == 0 {
			want = got
		} else if got != want {
			t.Errorf("spelling %d: %q, want %q", i, got, want)
		}
		back, err := url.ParseQuery(got)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := contract.ParseListQuery(back); err != nil || !reflect.DeepEqual(again, q) {
			t.Errorf("ParseListQuery(Canonical()) = %+v, %v; want %+v", again, err, q)
		}
	}
	if want != "genre=Drama&genre=War&imdb_score_min=7.5&ordering=-popularity%2C-id" {
		t.Errorf("canonical %q", want)
	}
	if q, _ := contract.ParseListQuery(url.Values{}); q.Canonical() != "" {
		t.Errorf("the default list's canonical string is %q, want empty", q.Canonical())
	}
}

func TestListQueryLogsAsItsCanonicalString(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	q, _ := contract.ParseListQuery(url.Values{"search": {"star wars"}, "page_size": {"5"}})
	log.Info("list", "query", q)
	if !strings.Contains(buf.String(), `query="search=star+wars&page_size=5"`) {
		t.Errorf("logged %s", buf.String())
	}
}

func TestNormalizedBoundsAndOrdersAQueryBuiltInCode(t *testing.T) {
	for _, c := range []struct {
		in   contract.ListQuery
		want string
		size int
	}{
		{contract.ListQuery{}, "id", contract.DefaultPageSize},
		{contract.ListQuery{PageSize: 10_000, Ordering: []contract.Order{{Field: "budget"}}}, "id", contract.MaxPageSize},
		{contract.ListQuery{PageSize: 7, Ordering: []contract.Order{{Field: "name", Desc: true}, {Field: "name"}}}, "-name,-id", 7},
		{contract.ListQuery{Ordering: []contract.Order{{Field: "popularity"}, {Field: "id", Desc: true}, {Field: "name"}}}, "popularity,-id", contract.DefaultPageSize},
	} {
		got := c.in.Normalized()
		if contract.OrderingString(got.Ordering) != c.want || got.PageSize != c.size {
			t.Errorf("%+v normalized: ordering %s, page size %d; want %s, %d",
				c.in, contract.OrderingString(got.Ordering), got.PageSize, c.want, c.size)
		}
		if again := got.Normalized(); !reflect.DeepEqual(again, got) {
			t.Errorf("normalizing twice changed %+v into %+v", got, again)
		}
	}
}
