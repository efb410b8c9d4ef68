package enginetest

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// RecallFloor is the share of titles typed with a typo that must still find
// their movie in the first ten hits.
const RecallFloor = 0.9

// Recall is how often a title typed with one typo finds its movie in the
// first ten hits.
type Recall struct {
	Queries int
	// Title counts a hit with the same title: a generated catalog repeats
	// titles, and a query cannot tell apart movies named alike.
	Title float64
	// Movie counts the very movie only.
	Movie float64
}

// MeasureRecall searches each movie's title with one typo (Typo) in one of
// its words of five letters or more; titles without such a word are
// skipped. The engine must hold the movies.
func MeasureRecall(ctx context.Context, e engine.Engine, movies []contract.Movie, r *rand.Rand) (Recall, error) {
	var rec Recall
	var title, movie int
	for _, m := range movies {
		words := strings.FieldsFunc(m.Name, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		var long []int
		for i, w := range words {
			if len(w) >= engine.MinWordSizeOneTypo {
				long = append(long, i)
			}
		}
		if len(long) == 0 {
			continue
		}
		at := long[r.IntN(len(long))]
		words[at] = Typo(r, strings.ToLower(words[at]))
		res, err := e.Search(ctx, contract.SearchQuery{Text: strings.Join(words, " "), Limit: 10})
		if err != nil {
			return rec, err
		}
		rec.Queries++
		sameTitle, same := false, false
		for _, h := range res.Hits {
			sameTitle = sameTitle || h.Name == m.Name
			same = same || h.ID == m.ID
		}
		if sameTitle {
			title++
		}
		if same {
			movie++
		}
	}
	if rec.Queries > 0 {
		rec.Title = float64(title) / float64(rec.Queries)
		rec.Movie = float64(movie) / float64(rec.Queries)
	}
	return rec, nil
}

// RunRecall loads n synthetic movies (BenchSynthetic's generator) into a new
// engine and holds the recall of 300 of their titles, each typed with a
// typo, to RecallFloor. Relevance, not speed: it runs in every test run.
func RunRecall(t *testing.T, newEngine Factory, n int) {
	ctx := context.Background()
	e := newEngine(t)
	t.Cleanup(func() { _ = e.Close() })
	gen := newGenerator(42)
	movies := make([]contract.Movie, 0, n)
	for id := 1; id <= n; id++ {
		m, _ := gen.movie(int64(id))
		movies = append(movies, m)
	}
	for i := 0; i < n; i += 1000 {
		batch := movies[i:min(n, i+1000)]
		if err := e.Apply(ctx, engine.Batch{Upserts: batch, Cursor: batch[len(batch)-1].ID}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 5))
	picked := make([]contract.Movie, 300)
	for i := range picked {
		picked[i] = movies[r.IntN(n)]
	}
	rec, err := MeasureRecall(ctx, e, picked, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10 over %d titles with a typo: title %.3f, movie %.3f", rec.Queries, rec.Title, rec.Movie)
	if rec.Queries < 100 || rec.Title < RecallFloor {
		t.Errorf("recall@10 %.3f over %d queries, want ≥ %.2f over ≥ 100", rec.Title, rec.Queries, RecallFloor)
	}
}
