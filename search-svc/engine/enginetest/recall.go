package enginetest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/relevance"
)

// RunRecall loads n synthetic movies (BenchSynthetic's generator) into a new
// engine and holds the recall of 300 of their titles, each typed with a
// typo, to relevance.RecallFloor. Relevance, not speed: it runs in every test run.
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
	rec, err := relevance.MeasureRecall(ctx, e, picked, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10 over %d titles with a typo: title %.3f, movie %.3f", rec.Queries, rec.Title, rec.Movie)
	if rec.Queries < 100 || rec.Title < relevance.RecallFloor {
		t.Errorf("recall@10 %.3f over %d queries, want ≥ %.2f over ≥ 100", rec.Title, rec.Queries, relevance.RecallFloor)
	}
}
