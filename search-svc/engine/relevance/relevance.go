// Package relevance measures how well an engine finds what people mean:
// titles typed with a typo, and the typos themselves. The recall test
// (enginetest.RunRecall) and the search benchmark (loadtest searchbench)
// share it; it links no test support, so a command can use it.
package relevance

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// RecallFloor is the share of titles typed with a typo that must still find
// their movie in the first ten hits.
const RecallFloor = 0.9

// Recall is how often a title typed with one typo finds its movie in the
// first ten hits.
type Recall struct {
	Queries int
	// Title counts a hit with the same title: a generated catalog repeats
	// titles, and a query cannot tell apart movies named alike.
	Title float64
	// Movie counts the very movie only.
	Movie float64
}

// MeasureRecall searches each movie's title with one typo (Typo) in one of
// its words of five letters or more; titles without such a word are
// skipped. The engine must hold the movies.
func MeasureRecall(ctx context.Context, e engine.Engine, movies []contract.Movie, r *rand.Rand) (Recall, error) {
	var rec Recall
	var title, movie int
	for _, m := range movies {
		words := strings.FieldsFunc(m.Name, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		var long []int
		for i, w := range words {
			if len(w) >= engine.MinWordSizeOneTypo {
				long = append(long, i)
			}
		}
		if len(long) == 0 {
			continue
		}
		at := long[r.IntN(len(long))]
		words[at] = Typo(r, strings.ToLower(words[at]))
		res, err := e.Search(ctx, contract.SearchQuery{Text: strings.Join(words, " "), Limit: 10})
		if err != nil {
			return rec, err
		}
		rec.Queries++
		sameTitle, same := false, false
		for _, h := range res.Hits {
			sameTitle = sameTitle || h.Name == m.Name
			same = same || h.ID == m.ID
		}
		if sameTitle {
			title++
		}
		if same {
			movie++
		}
	}
	if rec.Queries > 0 {
		rec.Title = float64(title) / float64(rec.Queries)
		rec.Movie = float64(movie) / float64(rec.Queries)
	}
	return rec, nil
}

// Typo makes one typo in w (five letters or more), as Meilisearch counts
// them: a letter replaced, inserted, dropped, or two neighbours swapped. The
// first letter is kept (people rarely miss it) and a drop never takes w
// under the length that tolerates a typo.
func Typo(r *rand.Rand, w string) string {
	b := []byte(w)
	i := 1 + r.IntN(len(b)-1)
	other := func(not byte) byte {
		c := byte('a' + r.IntN(26))
		for c == not {
			c = byte('a' + r.IntN(26))
		}
		return c
	}
	switch kind := r.IntN(4); {
	case kind == 1:
		return string(slices.Insert(b, i, other(0)))
	case kind == 2 && len(b) > engine.MinWordSizeOneTypo:
		return string(slices.Delete(b, i, i+1))
	case kind == 3 && i < len(b)-1 && b[i] != b[i+1]:
		b[i], b[i+1] = b[i+1], b[i]
		return string(b)
	default:
		b[i] = other(b[i])
		return string(b)
	}
}
