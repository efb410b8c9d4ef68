package store_test

import (
	"context"
	"testing"

	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
)

// The unfiltered total is the counter row: exact after every kind of write,
// on every page.
func TestTotalExactAfterWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		ctx := context.Background()
		total := func(q contract.ListQuery) *int64 {
			t.Helper()
			q.PageSize = 2
			return list(t, s, q).Total
		}
		want := func(n int64) {
			t.Helper()
			if got := total(contract.ListQuery{}); got == nil || *got != n {
				t.Fatalf("total %v, want %d", got, n)
			}
			if c, err := s.Count(ctx); err != nil || c != n {
				t.Fatalf("Count %d, %v; want %d", c, err, n)
			}
		}
		want(0)
		a := mustCreate(t, s, movie("A", "", 1, 1))
		mustCreate(t, s, movie("B", "", 2, 2))
		want(2)
		if err := s.Delete(ctx, a.ID, contract.IfMatch{}, "t"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, a.ID, contract.IfMatch{}, "t"); err == nil {
			t.Fatal("second delete succeeded")
		}
		want(1)
		// The import skips a movie already there: it is not counted twice.
		added, err := s.Import(ctx, []contract.Movie{movie("B", "", 2, 2), movie("C", "", 3, 3), movie("D", "", 4, 4)}, "t")
		if err != nil || added != 2 {
			t.Fatalf("import added %d, %v", added, err)
		}
		want(3)
		if _, err := s.Update(ctx, a.ID+1, contract.IfMatch{}, func(m contract.Movie) (contract.Movie, error) { m.Name = "B2"; return m, nil }, "t"); err != nil {
			t.Fatal(err)
		}
		want(3)
		// Cursor pages of the unfiltered list keep the exact total.
		p := list(t, s, contract.ListQuery{PageSize: 2})
		if p = list(t, s, contract.ListQuery{PageSize: 2, Cursor: p.Next}); p.Total == nil || *p.Total != 3 {
			t.Fatalf("cursor page total %v", p.Total)
		}
	})
}

// A filtered list counts up to the limit on its first page; past it, and on
// its cursor pages, the total is unknown.
func TestFilteredTotalBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.SQL) {
		for _, name := range []string{"Star 1", "Star 2", "Star 3", "Moon"} {
			mustCreate(t, s, movie(name, "", 1, 1, "Drama"))
		}
		mustCreate(t, s, movie("Star 4", "", 1, 1, "Comedy"))
		starDramas := contract.ListQuery{Search: "star", Genres: []string{"drama"}, PageSize: 2}
		for name, tc := range map[string]struct {
			q    contract.ListQuery
			want int64 // -1: unknown
		}{
			"one":            {contract.ListQuery{Search: "moon"}, 1},
			"none":           {contract.ListQuery{Search: "sun"}, 0},
			"at the limit":   {starDramas, 3},
			"past the limit": {contract.ListQuery{Search: "star"}, -1},
			"genre past it":  {contract.ListQuery{Genres: []string{"drama"}}, -1},
		} {
			t.Run(name, func(t *testing.T) {
				tc.q.PageSize = 2
				p := list(t, s, tc.q)
				switch {
				case tc.want < 0 && p.Total != nil:
					t.Fatalf("total %d, want unknown", *p.Total)
				case tc.want >= 0 && (p.Total == nil || *p.Total != tc.want):
					t.Fatalf("total %v, want %d", p.Total, tc.want)
				}
			})
		}
		first := list(t, s, starDramas)
		starDramas.Cursor = first.Next
		if p := list(t, s, starDramas); p.Total != nil || len(p.Movies) != 1 {
			t.Fatalf("cursor page: total %v, %d movies", p.Total, len(p.Movies))
		}
	}, store.CountLimit(3))
}
