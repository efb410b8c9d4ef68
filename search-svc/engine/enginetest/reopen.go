package enginetest

import (
	"context"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// RunReopen checks what a restart keeps, for engines that persist: a
// swapped-in index, the changes applied to it after the swap and its
// cursor. open opens the same stored index every time it is called.
func RunReopen(t *testing.T, open func(t *testing.T) engine.Engine) {
	ctx := context.Background()
	e := open(t)
	ref := catalogtest.ReferenceMovies()
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
	if err := e.Apply(ctx, engine.Batch{Deletes: []int64{ref[0].ID}, Cursor: 6}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = open(t)
	defer e.Close()
	if n, _ := e.Count(ctx); n != 4 {
		t.Errorf("reopened count %d, want 4", n)
	}
	if c, _ := e.Cursor(ctx); c != 6 {
		t.Errorf("reopened cursor %d, want 6", c)
	}
	res, err := e.Search(ctx, contract.SearchQuery{Text: ref[1].Name, Limit: 5})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].ID != ref[1].ID {
		t.Errorf("search %q after reopen: %+v %v", ref[1].Name, res.Hits, err)
	}
}
