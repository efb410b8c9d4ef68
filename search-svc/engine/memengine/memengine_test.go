package memengine_test

import (
	"path/filepath"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
	"github.com/moviesplatform/search-svc/engine/memengine"
)

func TestConformanceInMemory(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := memengine.Open(memengine.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

func TestConformanceWithSnapshot(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := memengine.Open(memengine.Config{Path: filepath.Join(t.TempDir(), "index.snapshot")})
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// Close writes a snapshot; reopening it restores the movies, the cursor and
// a swapped-in index, so a restart does not need a full reindex.
func TestSnapshotSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.snapshot")
	enginetest.RunReopen(t, func(t *testing.T) engine.Engine {
		e, err := memengine.Open(memengine.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// Titles typed with a typo find their movie in the first ten hits.
func TestRecallOfTitlesWithTypos(t *testing.T) {
	enginetest.RunRecall(t, func(t *testing.T) engine.Engine {
		e, err := memengine.Open(memengine.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, 20000)
}

// A name made of the query's words, the last still being typed, comes
// before a more popular name that also holds them farther apart, as
// Meilisearch's proximity rule ranks it.
func TestNameOfTheTypedWordsFirst(t *testing.T) {
	ctx := t.Context()
	e, err := memengine.Open(memengine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	movies := []contract.Movie{
		{ID: 1, Name: "A Letter for the Bitter Snow", Director: "X", Popularity: 90, IMDBScore: 8},
		{ID: 2, Name: "Bitter Letter", Director: "Y", Popularity: 10, IMDBScore: 6},
		{ID: 3, Name: "Bitter Letters of the Sea", Director: "Z", Popularity: 95, IMDBScore: 7},
	}
	if err := e.Apply(ctx, engine.Batch{Upserts: movies, Cursor: 3}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"bitter lett", "bitter letter"} {
		res, err := e.Search(ctx, contract.SearchQuery{Text: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 3 || res.Hits[0].ID != 2 {
			t.Errorf("%s: want Bitter Letter first of 3, got %v", q, res.Hits)
		}
	}
}
