package bleveengine_test

import (
	"context"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
	"github.com/moviesplatform/search-svc/internal/refdata"
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

// A swapped-in index is the one reopened after a restart, with its cursor.
func TestSwapSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := bleveengine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := refdata.Movies()
	if err := e.Apply(ctx, engine.Batch{Upserts: ref, Cursor: 248}); err != nil {
		t.Fatal(err)
	}
	st, err := e.Staging(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, engine.Batch{Upserts: ref[:5], Cursor: 5}); err != nil {
		t.Fatal(err)
	}
	if err := st.Swap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = bleveengine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if n, _ := e.Count(ctx); n != 5 {
		t.Errorf("reopened count %d, want 5", n)
	}
	if c, _ := e.Cursor(ctx); c != 5 {
		t.Errorf("reopened cursor %d, want 5", c)
	}
	res, err := e.Search(ctx, contract.SearchQuery{Text: "star", Limit: 10})
	if err != nil || len(res.Hits) == 0 {
		t.Errorf("search after reopen: %v %v", res.Hits, err)
	}
}
