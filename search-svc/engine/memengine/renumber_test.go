package memengine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
)

// Renumbering by permutation leaves the index a build from the live movies
// would make: every query, typo, prefix, facet and filter answers the same.
func TestRenumberedAnswersAsAFreshBuild(t *testing.T) {
	an := newAnalyzer()
	ix := changedIndex(t, an)
	renumbered, err := ix.renumbered()
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := buildIndex(an, ix.liveMovies(), ix.cursor)
	if err != nil {
		t.Fatal(err)
	}
	if renumbered.cursor != fresh.cursor || renumbered.ordered != fresh.ordered || renumbered.tail() != 0 {
		t.Fatalf("renumbered: cursor %d, %d ordered, tail %d; fresh build: cursor %d, %d ordered",
			renumbered.cursor, renumbered.ordered, renumbered.tail(), fresh.cursor, fresh.ordered)
	}
	assertSameAnswers(t, renumbered, fresh)
}

// changedIndex is a build of half the reference movies followed by a tail
// of new movies, updates of built ones and deletions, so a renumbering both
// drops numbers and moves the tail in, and a snapshot holds both parts.
func changedIndex(t *testing.T, an analyzer) *index {
	t.Helper()
	ref := catalogtest.ReferenceMovies()
	ix, err := buildIndex(an, ref[:len(ref)/2], 0)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i, m := range ref[len(ref)/2:] {
		ix.upsert(m)
		if i%3 == 0 {
			old := ref[r.IntN(len(ref)/2)]
			old.Popularity = contract.Float(r.Float64() * 100)
			ix.upsert(old)
		}
		if i%5 == 0 {
			ix.remove(ref[r.IntN(len(ref))].ID)
		}
	}
	ix.cursor = 42
	return ix
}

// assertSameAnswers runs queries of every kind (text, typo, prefix, facet,
// director filter, none) on both indexes and compares the results.
func assertSameAnswers(t *testing.T, got, want *index) {
	t.Helper()
	typos := newTypoAutomata()
	var queries []contract.SearchQuery
	for _, m := range catalogtest.ReferenceMovies()[:40] {
		queries = append(queries,
			contract.SearchQuery{Text: m.Name, Limit: 10, Facets: []string{contract.FacetGenre}},
			contract.SearchQuery{Text: m.Name[:min(3, len(m.Name))], Limit: 20},
			contract.SearchQuery{Text: "x" + m.Name, Limit: 10},
			contract.SearchQuery{Director: m.Director, Limit: 50},
		)
	}
	queries = append(queries, contract.SearchQuery{Limit: 100, Facets: []string{contract.FacetGenre}})
	for _, q := range queries {
		g, err := got.search(q, typos)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.search(q, typos)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\ngot  %v\nwant %v", fmt.Sprint(q), g, w)
		}
	}
}
