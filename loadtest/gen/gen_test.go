package gen

import (
	"reflect"
	"testing"
)

func newGen(t testing.TB, n int64, seed uint64) *Generator {
	t.Helper()
	genres, err := ReferenceGenres()
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(n, seed, genres)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestReferenceGenres(t *testing.T) {
	genres, err := ReferenceGenres()
	if err != nil {
		t.Fatal(err)
	}
	if len(genres) != 28 || genres[0].Name != "Drama" {
		t.Fatalf("got %d genres, first %+v; want 28, Drama first", len(genres), genres[0])
	}
	for _, g := range genres {
		if g.Name == "" || g.Name[0] == ' ' || g.Weight <= 0 {
			t.Errorf("bad genre %+v", g)
		}
	}
}

func TestSameSeedSameCatalog(t *testing.T) {
	a, b, c := newGen(t, 2000, 7), newGen(t, 2000, 7), newGen(t, 2000, 8)
	var fromA []any
	for m := range a.Movies() {
		fromA = append(fromA, m)
	}
	i, differs := 0, 0
	for m := range b.Movies() {
		if !reflect.DeepEqual(fromA[i], m) {
			t.Fatalf("movie %d differs between runs with one seed:\n%+v\n%+v", i+1, fromA[i], m)
		}
		// Random access gives the streamed movie too.
		if one := a.Movie(m.ID); !reflect.DeepEqual(one, m) {
			t.Fatalf("Movie(%d) = %+v, streamed %+v", m.ID, one, m)
		}
		if !reflect.DeepEqual(c.Movie(m.ID), m) {
			differs++
		}
		i++
	}
	if i != 2000 {
		t.Fatalf("streamed %d movies, want 2000", i)
	}
	if differs < 1900 {
		t.Fatalf("another seed changed only %d of 2000 movies", differs)
	}
}

func TestRanksArePermutation(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 17, 1000, 4099} {
		g := newGen(t, n, 3)
		seen := make([]bool, n+1)
		for rank := int64(1); rank <= n; rank++ {
			id := g.ID(rank)
			if id < 1 || id > n || seen[id] {
				t.Fatalf("n=%d: rank %d maps to id %d (out of range or repeated)", n, rank, id)
			}
			seen[id] = true
			if g.Rank(id) != rank {
				t.Fatalf("n=%d: Rank(ID(%d)) = %d", n, rank, g.Rank(id))
			}
		}
	}
}

func TestDistributions(t *testing.T) {
	const n = 20000
	g := newGen(t, n, 1)
	var (
		genreCount   = map[int]int{}
		genreUse     = map[string]int{}
		directors    = map[string]int{}
		highPopScore float64
		lowPopScore  float64
		high, low    int
	)
	for m := range g.Movies() {
		if m.Name == "" || m.Director == "" {
			t.Fatalf("movie without a name or director: %+v", m)
		}
		if m.Popularity < 0 || m.Popularity > 100 || m.IMDBScore < 1 || m.IMDBScore > 10 {
			t.Fatalf("out of range: %+v", m)
		}
		genreCount[len(m.Genre)]++
		seen := map[string]bool{}
		for _, gr := range m.Genre {
			if seen[gr.Name] {
				t.Fatalf("genre repeated: %+v", m)
			}
			seen[gr.Name] = true
			genreUse[gr.Name]++
		}
		directors[m.Director]++
		switch r := g.Rank(m.ID); {
		case r <= n/10:
			highPopScore += float64(m.IMDBScore)
			high++
		case r > n/2:
			lowPopScore += float64(m.IMDBScore)
			low++
		}
	}
	for k := range genreCount {
		if k < 1 || k > 5 {
			t.Fatalf("a movie has %d genres", k)
		}
	}
	if genreCount[3] < genreCount[1] || genreCount[2] < genreCount[5] {
		t.Errorf("genre counts not shaped like the reference: %v", genreCount)
	}
	if genreUse["Drama"] < genreUse["Western"]*3 {
		t.Errorf("Drama (%d) should be far more common than Western (%d)", genreUse["Drama"], genreUse["Western"])
	}
	if len(genreUse) < 20 {
		t.Errorf("only %d genres used", len(genreUse))
	}
	if highPopScore/float64(high) < lowPopScore/float64(low)+0.8 {
		t.Errorf("imdb_score not correlated with popularity: top 10%% mean %.2f, bottom half %.2f",
			highPopScore/float64(high), lowPopScore/float64(low))
	}
	top := 0
	for _, c := range directors {
		top = max(top, c)
	}
	if top < 20 || len(directors) < 300 {
		t.Errorf("director skew: busiest has %d films, %d directors", top, len(directors))
	}
	// Popularity: rank 1 is 100, it falls with rank, the median is low.
	if p := Popularity(1, n); p != 100 {
		t.Errorf("Popularity(1) = %v", p)
	}
	if !(Popularity(10, n) > Popularity(1000, n) && Popularity(n/2, n) < 10) {
		t.Errorf("popularity curve: %v %v %v", Popularity(10, n), Popularity(1000, n), Popularity(n/2, n))
	}
	if m := g.Movie(g.ID(1)); m.Popularity != 100 {
		t.Errorf("rank 1 movie has popularity %v", m.Popularity)
	}
}

func BenchmarkMovies(b *testing.B) {
	g := newGen(b, int64(b.N), 1)
	b.ResetTimer()
	for range g.Movies() {
	}
}
