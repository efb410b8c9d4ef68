// Package enginetest is the one conformance suite every search engine
// passes: the query semantics of the platform's search (every term matches,
// typo tolerance, prefixes, ranking, filters, sort, facets, paging) checked on
// the reference data, plus the write contract the indexer relies on
// (idempotent batches, a persisted cursor, staging and atomic swap).
package enginetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// Factory returns a new, empty engine; the suite closes it.
type Factory func(t *testing.T) engine.Engine

// Run runs the whole suite against engines made by newEngine.
func Run(t *testing.T, newEngine Factory) {
	ctx := context.Background()
	ref := catalogtest.ReferenceMovies()
	loaded := func(t *testing.T) engine.Engine {
		e := newEngine(t)
		t.Cleanup(func() { _ = e.Close() })
		if err := e.Apply(ctx, engine.Batch{Upserts: ref, Cursor: int64(len(ref))}); err != nil {
			t.Fatalf("load reference data: %v", err)
		}
		return e
	}
	e := loaded(t)

	t.Run("EveryTermMustMatch", func(t *testing.T) {
		names := hitNames(t, search(t, e, contract.SearchQuery{Text: "star"}))
		for _, want := range []string{"Star Wars", "Star Trek", "Star Wars : Episode V - The Empire Strikes Back"} {
			if !slices.Contains(names, want) {
				t.Errorf("star: %q missing from %q", want, names)
			}
		}
		if got := search(t, e, contract.SearchQuery{Text: "star qqqqqqq"}); len(got.Hits) != 0 {
			t.Errorf("a term matching nothing still found %q", hitNames(t, got))
		}
		for _, n := range hitNames(t, search(t, e, contract.SearchQuery{Text: "star wars"})) {
			if !strings.Contains(strings.ToLower(n), "wars") {
				t.Errorf("star wars found %q", n)
			}
		}
	})

	t.Run("TypoTolerance", func(t *testing.T) {
		for q, want := range map[string]string{"godfater": "The Godfather", "casablanka": "Casablanca", "Casablnca": "Casablanca"} {
			if names := hitNames(t, search(t, e, contract.SearchQuery{Text: q})); !slices.Contains(names, want) {
				t.Errorf("%s: %q missing from %q", q, want, names)
			}
		}
		// Four letters allow no typo (Meilisearch's oneTypo is 5).
		for _, n := range hitNames(t, search(t, e, contract.SearchQuery{Text: "stur"})) {
			if strings.HasPrefix(strings.ToLower(n), "star") {
				t.Errorf("stur matched %q with a typo in a 4-letter word", n)
			}
		}
	})

	t.Run("LastTermIsPrefix", func(t *testing.T) {
		if names := hitNames(t, search(t, e, contract.SearchQuery{Text: "casab"})); !slices.Contains(names, "Casablanca") {
			t.Errorf("casab: Casablanca missing from %q", names)
		}
		if names := hitNames(t, search(t, e, contract.SearchQuery{Text: "star tr"})); !slices.Contains(names, "Star Trek") {
			t.Errorf("star tr: Star Trek missing from %q", names)
		}
	})

	t.Run("ApostrophesSplitWords", func(t *testing.T) {
		// Meilisearch splits "Schindler's" into "schindler" and "s"; people
		// type the title with the apostrophe, without it, or with a space.
		e := loaded(t)
		m := contract.Movie{ID: 900001, Name: "Schindler's List", Director: "Steven Spielberg", Popularity: 89, IMDBScore: 8.9,
			Genre: []contract.Genre{{Name: "Drama"}}}
		if err := e.Apply(ctx, engine.Batch{Upserts: []contract.Movie{m}, Cursor: int64(len(ref)) + 1}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"schindler's list", "schindler’s list", "schindlers list", "schindler s list", "schindler"} {
			if names := hitNames(t, search(t, e, contract.SearchQuery{Text: q})); !slices.Contains(names, m.Name) {
				t.Errorf("%s: %q missing from %q", q, m.Name, names)
			}
		}
	})

	t.Run("Ranking", func(t *testing.T) {
		for q, want := range map[string]string{"star trek": "Star Trek", "star wars": "Star Wars", "godfather": "The Godfather"} {
			if names := hitNames(t, search(t, e, contract.SearchQuery{Text: q})); len(names) == 0 || names[0] != want {
				t.Errorf("%s: want %q first, got %q", q, want, names)
			}
		}
		// The name outweighs the director: "lucas" finds George Lucas's
		// films, yet a film named after the word would come first.
		if names := hitNames(t, search(t, e, contract.SearchQuery{Text: "lucas"})); !slices.Contains(names, "Star Wars") {
			t.Errorf("lucas (a director): Star Wars missing from %q", names)
		}
		// Without text, relevance ties everywhere and popularity decides.
		got := search(t, e, contract.SearchQuery{Limit: 20})
		for i := 1; i < len(got.Hits); i++ {
			if got.Hits[i].Popularity > got.Hits[i-1].Popularity {
				t.Fatalf("empty query not by popularity: %v before %v", got.Hits[i-1], got.Hits[i])
			}
		}
	})

	t.Run("FiltersAndFacets", func(t *testing.T) {
		q := contract.SearchQuery{Genres: []string{"sci-fi", "Western"}, Limit: 500, Facets: []string{contract.FacetGenre}}
		got := search(t, e, q)
		want := filter(ref, func(m contract.Movie) bool { return hasGenre(m, "Sci-Fi") || hasGenre(m, "Western") })
		assertSameIDs(t, "genre any-of", got, want)
		if got.EstimatedTotal != int64(len(want)) {
			t.Errorf("total: got %d want %d", got.EstimatedTotal, len(want))
		}
		all := search(t, e, contract.SearchQuery{Limit: 1, Facets: []string{contract.FacetGenre}})
		wantFacets := map[string]int64{}
		for _, m := range ref {
			for _, g := range m.Genre {
				wantFacets[g.Name]++
			}
		}
		if fmt.Sprint(all.Facets[contract.FacetGenre]) != fmt.Sprint(wantFacets) {
			t.Errorf("genre facets:\n got %v\nwant %v", all.Facets[contract.FacetGenre], wantFacets)
		}

		lo, hi := 8.0, 8.5
		pmin := 85.0
		got = search(t, e, contract.SearchQuery{Director: "george LUCAS", Limit: 500})
		assertSameIDs(t, "director", got, filter(ref, func(m contract.Movie) bool { return m.Director == "George Lucas" }))
		got = search(t, e, contract.SearchQuery{IMDBScore: contract.Range{Min: &lo, Max: &hi}, Popularity: contract.Range{Min: &pmin}, Limit: 500})
		assertSameIDs(t, "ranges", got, filter(ref, func(m contract.Movie) bool {
			return float64(m.IMDBScore) >= lo && float64(m.IMDBScore) <= hi && float64(m.Popularity) >= pmin
		}))
		got = search(t, e, contract.SearchQuery{Text: "star", Genres: []string{"Adventure"}, Limit: 500})
		for _, m := range got.Hits {
			if !hasGenre(m, "Adventure") {
				t.Errorf("star+Adventure found %v", m)
			}
		}
	})

	t.Run("ExplicitSortAndPaging", func(t *testing.T) {
		sortBy := []contract.Order{{Field: contract.FieldIMDBScore, Desc: true}, {Field: contract.FieldName}, {Field: contract.FieldID}}
		var seen []contract.Movie
		for off := 0; ; off += 50 {
			got := search(t, e, contract.SearchQuery{Sort: sortBy, Offset: off, Limit: 50})
			seen = append(seen, got.Hits...)
			if len(got.Hits) < 50 {
				break
			}
		}
		if len(seen) != len(ref) {
			t.Fatalf("paging yielded %d movies, want %d", len(seen), len(ref))
		}
		for i := 1; i < len(seen); i++ {
			a, b := seen[i-1], seen[i]
			if a.IMDBScore < b.IMDBScore || a.IMDBScore == b.IMDBScore && strings.ToLower(a.Name) > strings.ToLower(b.Name) {
				t.Fatalf("not sorted by -imdb_score,name: %q (%v) before %q (%v)", a.Name, a.IMDBScore, b.Name, b.IMDBScore)
			}
		}
		ids := map[int64]bool{}
		for _, m := range seen {
			ids[m.ID] = true
		}
		if len(ids) != len(ref) {
			t.Errorf("paging repeated movies: %d distinct of %d", len(ids), len(seen))
		}
	})

	t.Run("HitsAreTheMovies", func(t *testing.T) {
		got := search(t, e, contract.SearchQuery{Text: "psycho"})
		if len(got.Hits) == 0 {
			t.Fatal("psycho: no hits")
		}
		want := ref[slices.IndexFunc(ref, func(m contract.Movie) bool { return m.Name == "Psycho" })]
		if fmt.Sprint(got.Hits[0]) != fmt.Sprint(want) {
			t.Errorf("hit %v, want %v", got.Hits[0], want)
		}
	})

	t.Run("ApplyIsIdempotentAndKeepsCursor", func(t *testing.T) {
		e := loaded(t)
		renamed := ref[0]
		renamed.Name = "Zyzzyva Returns"
		b := engine.Batch{Upserts: []contract.Movie{renamed}, Deletes: []int64{2}, Cursor: 300}
		for range 2 { // at-least-once delivery replays batches
			if err := e.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := e.Count(ctx); n != int64(len(ref)-1) {
			t.Errorf("count after upsert+delete twice: %d, want %d", n, len(ref)-1)
		}
		if c, _ := e.Cursor(ctx); c != 300 {
			t.Errorf("cursor %d, want 300", c)
		}
		if names := hitNames(t, search(t, e, contract.SearchQuery{Text: "zyzzyva"})); !slices.Equal(names, []string{"Zyzzyva Returns"}) {
			t.Errorf("renamed movie: %q", names)
		}
		if got := search(t, e, contract.SearchQuery{Text: "wizard oz"}); slices.ContainsFunc(got.Hits, func(m contract.Movie) bool { return m.ID == renamed.ID }) {
			t.Errorf("found under its old name: %q", hitNames(t, got))
		}
		if got := search(t, e, contract.SearchQuery{Text: "star wars", Limit: 500}); slices.ContainsFunc(got.Hits, func(m contract.Movie) bool { return m.ID == 2 }) {
			t.Error("deleted movie still found")
		}
		// Deleting an absent movie is not an error.
		if err := e.Apply(ctx, engine.Batch{Deletes: []int64{999999}, Cursor: 301}); err != nil {
			t.Errorf("delete of an absent movie: %v", err)
		}
	})

	t.Run("StagingAndSwap", func(t *testing.T) {
		e := loaded(t)
		st, err := e.Staging(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := st.Cursor(ctx); c != 0 {
			t.Errorf("fresh staging cursor %d", c)
		}
		if err := st.Apply(ctx, engine.Batch{Upserts: ref[:10], Cursor: 10}); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.Count(ctx); n != int64(len(ref)) {
			t.Errorf("live index changed by staging: %d", n)
		}
		if err := st.Swap(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.Count(ctx); n != 10 {
			t.Errorf("after swap count %d, want 10", n)
		}
		if c, _ := e.Cursor(ctx); c != 10 {
			t.Errorf("after swap cursor %d, want 10", c)
		}
		if got := search(t, e, contract.SearchQuery{Limit: 500}); len(got.Hits) != 10 {
			t.Errorf("after swap search sees %d movies", len(got.Hits))
		}
		if err := e.Apply(ctx, engine.Batch{Upserts: ref[10:12], Cursor: 12}); err != nil {
			t.Errorf("apply after swap: %v", err)
		}
		st2, err := e.Staging(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st2.Discard(ctx); err != nil {
			t.Errorf("discard: %v", err)
		}
		if n, _ := e.Count(ctx); n != 12 {
			t.Errorf("discard touched the live index: %d", n)
		}
	})
}

func search(t *testing.T, e engine.Engine, q contract.SearchQuery) contract.SearchResult {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 20
	}
	res, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

func hitNames(t *testing.T, r contract.SearchResult) []string {
	t.Helper()
	out := make([]string, len(r.Hits))
	for i, m := range r.Hits {
		out[i] = m.Name
	}
	return out
}

func hasGenre(m contract.Movie, name string) bool {
	return slices.ContainsFunc(m.Genre, func(g contract.Genre) bool { return strings.EqualFold(g.Name, name) })
}

func filter(ms []contract.Movie, keep func(contract.Movie) bool) []contract.Movie {
	var out []contract.Movie
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

func assertSameIDs(t *testing.T, what string, got contract.SearchResult, want []contract.Movie) {
	t.Helper()
	var g, w []int64
	for _, m := range got.Hits {
		g = append(g, m.ID)
	}
	for _, m := range want {
		w = append(w, m.ID)
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: got ids %v\nwant %v", what, g, w)
	}
}
