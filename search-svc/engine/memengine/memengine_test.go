package memengine_test

import (
	"path/filepath"
	"testing"

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
