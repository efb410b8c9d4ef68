package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
)

// TestConcurrentWrites: writers racing on the same new genres and on the
// same movie lose nothing, and the feed holds one row per write with no gaps.
func TestConcurrentWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		target := mustCreate(t, s, movie("Target", "", 1, 1))
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, 3*writers)
		for i := range writers {
			wg.Add(3)
			go func() {
				defer wg.Done()
				_, err := s.Create(ctx, movie(fmt.Sprint("Movie ", i), "", 1, 1, "Brand New", fmt.Sprint("Only ", i), "brand new"), "w")
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := s.Import(ctx, []contract.Movie{movie("Imported", "Same", 1, 1, "Brand New")}, "importer")
				errs <- err
			}()
			go func() {
				defer wg.Done()
				// Read-modify-write of one movie: every patch adds its genre
				// to what is there, so a lost update would lose a genre.
				_, err := s.Update(ctx, target.ID, contract.IfMatch{}, func(cur contract.Movie) (contract.Movie, error) {
					cur.Genre = append(cur.Genre, contract.Genre{Name: fmt.Sprint("Patch ", i)})
					return cur, nil
				}, "w")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Genre) != writers {
			t.Fatalf("target has %d genres, want %d: a concurrent update was lost", len(got.Genre), writers)
		}
		imported := list(t, s, contract.ListQuery{Search: "Imported"})
		if *imported.Total != 1 {
			t.Fatalf("racing imports stored %d copies", *imported.Total)
		}
		fresh := list(t, s, contract.ListQuery{Genres: []string{"BRAND NEW"}})
		if *fresh.Total != writers+1 {
			t.Fatalf("%d movies have the shared new genre, want %d", *fresh.Total, writers+1)
		}
		// 1 + writers creates + 1 import + writers updates.
		cs := changes(t, s)
		if want := 2 + 2*writers; len(cs) != want {
			t.Fatalf("%d feed rows, want %d", len(cs), want)
		}
		for i, c := range cs {
			if c.Seq != int64(i+1) {
				t.Fatalf("feed row %d has seq %d", i, c.Seq)
			}
		}
	})
}
