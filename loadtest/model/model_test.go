package model

import (
	"math"
	"net/http"
	"testing"

	"github.com/moviesplatform/loadtest/gen"
)

func catalog(t *testing.T, n int64) *gen.Generator {
	t.Helper()
	genres, err := gen.ReferenceGenres()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gen.New(n, 1, genres)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestMixFollowsTheWeights(t *testing.T) {
	const draws = 200_000
	m, err := New(Config{Catalog: catalog(t, 100_000), UserTokens: []string{"u1", "u2"}, AdminToken: "admin", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.AddCursors(ListCursor, "/api/movies/?cursor=abc")
	count := map[Kind]int{}
	anonymous, ids := 0, map[string]int{}
	for range draws {
		r := m.Next()
		if got := Classify(r.Method, "http://127.0.0.1"+r.Path); got != r.Kind {
			t.Fatalf("%s %s classified as %s, drawn as %s", r.Method, r.Path, got, r.Kind)
		}
		count[r.Kind]++
		switch r.Kind {
		case WritePatch, WriteCreate:
			if r.Token != "admin" || r.Body == nil {
				t.Fatalf("write without the admin token or a body: %+v", r)
			}
			continue
		case Detail:
			ids[r.Path]++
		}
		if r.Token == "" {
			anonymous++
		} else if r.Token != "u1" && r.Token != "u2" {
			t.Fatalf("read with token %q", r.Token)
		}
	}
	total := 0.0
	for _, w := range DefaultMix {
		total += w
	}
	for k, w := range DefaultMix {
		want := w / total * draws
		// Within 5 standard deviations of a binomial count.
		if tol := 5*math.Sqrt(want) + 1; math.Abs(float64(count[k])-want) > tol {
			t.Errorf("%s: %d draws, want %.0f ± %.0f", k, count[k], want, tol)
		}
	}
	reads := draws - count[WritePatch] - count[WriteCreate]
	if share := float64(anonymous) / float64(reads); math.Abs(share-0.7) > 0.01 {
		t.Errorf("anonymous share %.3f, want 0.7", share)
	}
	// Hot and long tail: the hottest id gets a large share of detail
	// traffic, and most distinct ids are asked for once or twice.
	top, once := 0, 0
	for _, c := range ids {
		top = max(top, c)
		if c <= 2 {
			once++
		}
	}
	if top < count[Detail]/20 || once < len(ids)/2 {
		t.Errorf("detail ids not Zipf-shaped: hottest %d of %d, %d of %d distinct ids seen ≤ 2 times",
			top, count[Detail], once, len(ids))
	}
}

func TestHotIDsAreThePopularMovies(t *testing.T) {
	c := catalog(t, 50_000)
	m, err := New(Config{Catalog: c, IDBase: 248, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	hits := map[int64]int{}
	for range 20_000 {
		hits[m.HotID()]++
	}
	best, bestID := 0, int64(0)
	for id, n := range hits {
		if id <= 248 || id > 50_000+248 {
			t.Fatalf("id %d outside the loaded range", id)
		}
		if n > best {
			best, bestID = n, id
		}
	}
	if got := c.Movie(bestID - 248); got.Popularity != 100 {
		t.Fatalf("the most requested movie has popularity %v, want the most popular (100)", got.Popularity)
	}
}

func TestWritesNeedAnAdminToken(t *testing.T) {
	m, err := New(Config{Catalog: catalog(t, 1000), Mix: map[Kind]float64{WritePatch: 1, Detail: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if r := m.Next(); r.Method != http.MethodGet || r.Token != "" {
			t.Fatalf("without tokens the model made %+v", r)
		}
	}
	if _, err := New(Config{Catalog: catalog(t, 1000), Mix: map[Kind]float64{WritePatch: 1}}); err == nil {
		t.Fatal("a mix of writes only, without an admin token, was accepted")
	}
}

func TestCursorPools(t *testing.T) {
	m, err := New(Config{Catalog: catalog(t, 1000), Mix: map[Kind]float64{ListCursor: 1, ListDeep: 1}})
	if err != nil {
		t.Fatal(err)
	}
	m.AddCursors(ListCursor, "/api/movies/?cursor=abc")
	m.AddCursors(ListDeep, "/api/movies/?ordering=-popularity&popularity_max=1.5&cursor=def")
	for range 200 {
		r := m.Next()
		if want := map[Kind]string{ListCursor: "/api/movies/?cursor=abc",
			ListDeep: "/api/movies/?ordering=-popularity&popularity_max=1.5&cursor=def"}[r.Kind]; r.Path != want {
			t.Fatalf("%s: %s, want %s", r.Kind, r.Path, want)
		}
	}
}
