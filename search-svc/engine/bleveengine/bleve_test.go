package bleveengine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
)

func TestConformanceOnDisk(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := bleveengine.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

func TestConformanceInMemory(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := bleveengine.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// A swapped-in index, and what was applied to it after, is the one
// reopened after a restart, with its cursor.
func TestSwapSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	enginetest.RunReopen(t, func(t *testing.T) engine.Engine {
		e, err := bleveengine.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

// An index built with an older mapping is replaced by an empty one, which
// the indexer rebuilds from the feed (its cursor is back at 0).
func TestOlderSchemaIsRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := bleveengine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies(), Cursor: 248}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	current, _ := os.ReadFile(filepath.Join(dir, "CURRENT"))
	// Safe batches, so the tampering is on disk before Close.
	idx, err := bleve.OpenUsing(filepath.Join(dir, strings.TrimSpace(string(current))), map[string]any{"unsafe_batch": false})
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.SetInternal([]byte("schema"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = bleveengine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if c, _ := e.Cursor(ctx); c != 0 {
		t.Errorf("cursor of the rebuilt index %d, want 0", c)
	}
	if n, _ := e.Count(ctx); n != 0 {
		t.Errorf("rebuilt index holds %d movies", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("old index left behind: %d entries", len(entries))
	}
}
