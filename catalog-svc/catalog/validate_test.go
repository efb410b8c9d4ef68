package catalog

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

func ptr[T any](v T) *T { return &v }

func genres(names ...string) *[]contract.Genre {
	out := []contract.Genre{}
	for _, n := range names {
		out = append(out, contract.Genre{Name: n})
	}
	return &out
}

func fieldErrors(t *testing.T, err error) map[string][]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *apierr.Error
	if !errors.As(err, &e) || e.Kind != apierr.Invalid {
		t.Fatalf("error %v is not a validation error", err)
	}
	return e.Fields
}

func valid() contract.MovieWrite {
	return contract.MovieWrite{Name: ptr("King Kong"), Popularity: ptr(80.0), IMDBScore: ptr(8.0)}
}

func with(f func(*contract.MovieWrite)) contract.MovieWrite {
	w := valid()
	f(&w)
	return w
}

func TestValidateNew(t *testing.T) {
	long := strings.Repeat("é", 256)
	for name, tc := range map[string]struct {
		in   contract.MovieWrite
		want contract.Movie
		bad  map[string][]string
	}{
		"minimal: director and genre default": {
			in:   valid(),
			want: contract.Movie{Name: "King Kong", Popularity: 80, IMDBScore: 8, Genre: []contract.Genre{}},
		},
		"trimmed, genres deduplicated keeping first spelling and order": {
			in: with(func(w *contract.MovieWrite) {
				w.Name, w.Director = ptr("  King Kong \t"), ptr(" Merian C. Cooper ")
				w.Genre = genres(" Adventure", "fantasy", "ADVENTURE", "Fantasy ", "Horror")
			}),
			want: contract.Movie{Name: "King Kong", Director: "Merian C. Cooper", Popularity: 80, IMDBScore: 8,
				Genre: []contract.Genre{{Name: "Adventure"}, {Name: "fantasy"}, {Name: "Horror"}}},
		},
		"bounds are inclusive": {
			in:   with(func(w *contract.MovieWrite) { w.Popularity, w.IMDBScore = ptr(100.0), ptr(0.0) }),
			want: contract.Movie{Name: "King Kong", Popularity: 100, IMDBScore: 0, Genre: []contract.Genre{}},
		},
		"255 characters is fine": {
			in:   with(func(w *contract.MovieWrite) { w.Name = ptr(long[:255*2]) }),
			want: contract.Movie{Name: long[:255*2], Popularity: 80, IMDBScore: 8, Genre: []contract.Genre{}},
		},
		"everything missing": {
			in: contract.MovieWrite{},
			bad: map[string][]string{
				"name": {apierr.MsgRequired}, "popularity": {apierr.MsgRequired}, "imdb_score": {apierr.MsgRequired},
			},
		},
		"blank name":          {in: with(func(w *contract.MovieWrite) { w.Name = ptr("   ") }), bad: map[string][]string{"name": {"This field may not be blank."}}},
		"name too long":       {in: with(func(w *contract.MovieWrite) { w.Name = ptr(long) }), bad: map[string][]string{"name": {"Ensure this field has no more than 255 characters."}}},
		"director too long":   {in: with(func(w *contract.MovieWrite) { w.Director = ptr(long) }), bad: map[string][]string{"director": {"Ensure this field has no more than 255 characters."}}},
		"popularity negative": {in: with(func(w *contract.MovieWrite) { w.Popularity = ptr(-0.1) }), bad: map[string][]string{"popularity": {"Ensure this value is greater than or equal to 0."}}},
		"popularity too high": {in: with(func(w *contract.MovieWrite) { w.Popularity = ptr(100.5) }), bad: map[string][]string{"popularity": {"Ensure this value is less than or equal to 100."}}},
		"score too high":      {in: with(func(w *contract.MovieWrite) { w.IMDBScore = ptr(10.01) }), bad: map[string][]string{"imdb_score": {"Ensure this value is less than or equal to 10."}}},
		"NaN":                 {in: with(func(w *contract.MovieWrite) { w.IMDBScore = ptr(math.NaN()) }), bad: map[string][]string{"imdb_score": {"A valid number is required."}}},
		"Inf":                 {in: with(func(w *contract.MovieWrite) { w.Popularity = ptr(math.Inf(1)) }), bad: map[string][]string{"popularity": {"A valid number is required."}}},
		"blank genre":         {in: with(func(w *contract.MovieWrite) { w.Genre = genres("Drama", " ") }), bad: map[string][]string{"genre": {"Genre names may not be blank."}}},
		"genre too long": {in: with(func(w *contract.MovieWrite) { w.Genre = genres(strings.Repeat("x", 51)) }),
			bad: map[string][]string{"genre": {"Genre \"" + strings.Repeat("x", 50) + "…\": Ensure this field has no more than 50 characters."}}},
		"too many genres": {in: with(func(w *contract.MovieWrite) {
			g := genres()
			for i := range MaxGenres + 1 {
				*g = append(*g, contract.Genre{Name: strings.Repeat("g", i+1)})
			}
			w.Genre = g
		}), bad: map[string][]string{"genre": {"Ensure this field has no more than 20 elements."}}},
		"invalid UTF-8": {in: with(func(w *contract.MovieWrite) { w.Name = ptr("a\xffb") }), bad: map[string][]string{"name": {"Not a valid string."}}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ValidateNew(tc.in)
			if bad := fieldErrors(t, err); !reflect.DeepEqual(bad, tc.bad) {
				t.Fatalf("errors = %v, want %v", bad, tc.bad)
			}
			if err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestValidatePatch(t *testing.T) {
	cur := contract.Movie{ID: 5, Name: "Psycho", Director: "Alfred Hitchcock", Popularity: 87, IMDBScore: 8.7,
		Genre: []contract.Genre{{Name: "Horror"}}}
	for name, tc := range map[string]struct {
		in   contract.MovieWrite
		want contract.Movie
		bad  map[string][]string
	}{
		"empty patch changes nothing": {in: contract.MovieWrite{}, want: cur},
		"only present fields change": {in: contract.MovieWrite{IMDBScore: ptr(9.0), Genre: genres("Thriller", "thriller")},
			want: contract.Movie{ID: 5, Name: "Psycho", Director: "Alfred Hitchcock", Popularity: 87, IMDBScore: 9, Genre: []contract.Genre{{Name: "Thriller"}}}},
		"genre emptied": {in: contract.MovieWrite{Genre: genres()},
			want: contract.Movie{ID: 5, Name: "Psycho", Director: "Alfred Hitchcock", Popularity: 87, IMDBScore: 8.7, Genre: []contract.Genre{}}},
		"director cleared": {in: contract.MovieWrite{Director: ptr(" ")},
			want: contract.Movie{ID: 5, Name: "Psycho", Popularity: 87, IMDBScore: 8.7, Genre: []contract.Genre{{Name: "Horror"}}}},
		"present fields are checked": {in: contract.MovieWrite{Name: ptr(""), Popularity: ptr(-1.0)},
			bad: map[string][]string{"name": {"This field may not be blank."}, "popularity": {"Ensure this value is greater than or equal to 0."}}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ValidatePatch(cur, tc.in)
			if bad := fieldErrors(t, err); !reflect.DeepEqual(bad, tc.bad) {
				t.Fatalf("errors = %v, want %v", bad, tc.bad)
			}
			if err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Names, directors and genres are stored in NFC; control and bidirectional
// formatting characters are a 400 on the field that holds them.
func TestTextIsNFCAndControlsAreRefused(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(f float64) *float64 { return &f }
	write := func(name, director, genre string) contract.MovieWrite {
		return contract.MovieWrite{Name: str(name), Director: str(director), Popularity: num(1), IMDBScore: num(1),
			Genre: &[]contract.Genre{{Name: genre}}}
	}
	m, err := ValidateNew(write(" Ame\u0301lie ", "Jean-Pierre Jeunet", "Come\u0301die"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Am\u00e9lie" || m.Genre[0].Name != "Com\u00e9die" {
		t.Fatalf("not NFC: %q %q", m.Name, m.Genre[0].Name)
	}
	for field, in := range map[string]contract.MovieWrite{
		"name":     write("Evil\u202egnp.exe", "d", "g"),
		"director": write("n", "a\u2066b", "g"),
		"genre":    write("n", "d", "Dr\u200fama"),
	} {
		_, err := ValidateNew(in)
		if apierr.KindOf(err) != apierr.Invalid {
			t.Fatalf("%s: %v", field, err)
		}
		if e := err.(*apierr.Error); len(e.Fields[field]) != 1 {
			t.Fatalf("%s: fields %v", field, e.Fields)
		}
	}
	for _, c := range []string{"\x00", "\t", "\n", "\x7f", "\u0085", "\u061c", "\u200e", "\u202a", "\u2069"} {
		if _, err := ValidateNew(write("a"+c+"b", "d", "g")); apierr.KindOf(err) != apierr.Invalid {
			t.Errorf("%U accepted in a name", []rune(c)[0])
		}
	}
}
