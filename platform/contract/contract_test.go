package contract_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
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
