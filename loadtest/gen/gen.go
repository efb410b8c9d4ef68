// Package gen makes realistic synthetic movies for loading the catalog at
// scale: popularity that follows a Zipf-like rank curve, an IMDb score
// correlated with it, one to five genres drawn from the reference dataset's
// genres in their observed proportions, titles from word patterns and
// directors from name lists, some with many films and most with few.
//
// Every movie is a pure function of (seed, id): the stream costs constant
// memory, any movie can be made alone (the traffic model uses that to find
// hot ids, their directors and genres without asking the database), and the
// same seed always gives the same catalog.
package gen

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/platform/contract"
)

// Genre is a genre with its share of the reference dataset's genre links.
type Genre struct {
	Name   string
	Weight float64
}

// ReferenceGenres returns the genres of the seed's dataset
// (catalog-svc/importer/imdb.json), trimmed, each weighted by how many
// movies carry it, most common first.
func ReferenceGenres() ([]Genre, error) {
	var movies []struct {
		Genre []string `json:"genre"`
	}
	if err := json.NewDecoder(importer.ReferenceDataset()).Decode(&movies); err != nil {
		return nil, fmt.Errorf("reference dataset: %w", err)
	}
	count := map[string]int{}
	var order []string
	for _, m := range movies {
		for _, g := range m.Genre {
			g = strings.TrimSpace(g)
			if count[g] == 0 {
				order = append(order, g)
			}
			count[g]++
		}
	}
	out := make([]Genre, len(order))
	for i, g := range order {
		out[i] = Genre{Name: g, Weight: float64(count[g])}
	}
	// Stable, most common first; ties keep their first appearance.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Weight > out[j-1].Weight; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// genresPerMovie weights how many genres a movie has (1 to 5), after the
// reference dataset, where 2 and 3 are most common.
var genresPerMovie = []float64{17, 81, 88, 39, 20}

// Generator makes the movies with ids 1..N of one synthetic catalog.
type Generator struct {
	n         int64
	seed      uint64
	ranks     permutation
	genres    []Genre
	genreCum  []float64
	countCum  []float64
	directors int64
}

// New returns the generator of a catalog of n movies for seed, with genres
// drawn from genres (ReferenceGenres for the seed's list).
func New(n int64, seed uint64, genres []Genre) (*Generator, error) {
	if n < 1 {
		return nil, fmt.Errorf("gen: need at least one movie, got %d", n)
	}
	if len(genres) < len(genresPerMovie) {
		return nil, fmt.Errorf("gen: need at least %d genres, got %d", len(genresPerMovie), len(genres))
	}
	return &Generator{
		n:        n,
		seed:     seed,
		ranks:    newPermutation(uint64(n), seed),
		genres:   genres,
		genreCum: cumulative(len(genres), func(i int) float64 { return genres[i].Weight }),
		countCum: cumulative(len(genresPerMovie), func(i int) float64 { return genresPerMovie[i] }),
		// About 25 films per director on average; the skew in director()
		// gives a few hundreds or thousands of films each and most a handful.
		directors: max(20, n/25),
	}, nil
}

func cumulative(n int, weight func(int) float64) []float64 {
	out := make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += weight(i)
		out[i] = sum
	}
	return out
}

// N is the number of movies.
func (g *Generator) N() int64 { return g.n }

// Rank is the popularity rank of movie id: 1 is the most popular.
func (g *Generator) Rank(id int64) int64 { return int64(g.ranks.inverse(uint64(id-1))) + 1 }

// ID is the id of the movie of popularity rank rank.
func (g *Generator) ID(rank int64) int64 { return int64(g.ranks.forward(uint64(rank-1))) + 1 }

// Popularity is the popularity (0 to 100, one decimal) of rank among n: 100
// for the first, falling with the logarithm of the rank, so a few movies are
// very popular and the long tail is not.
func Popularity(rank, n int64) float64 {
	p := 100 * (1 - math.Log(float64(rank))/math.Log(float64(n)+1))
	return round1(p)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// Movie returns movie id (1..N).
func (g *Generator) Movie(id int64) contract.Movie {
	src := rand.NewPCG(0, 0)
	return g.movie(id, src, rand.New(src))
}

// Movies yields movies 1..N in id order.
func (g *Generator) Movies() iter.Seq[contract.Movie] {
	return func(yield func(contract.Movie) bool) {
		src := rand.NewPCG(0, 0)
		r := rand.New(src)
		for id := int64(1); id <= g.n; id++ {
			if !yield(g.movie(id, src, r)) {
				return
			}
		}
	}
}

func (g *Generator) movie(id int64, src *rand.PCG, r *rand.Rand) contract.Movie {
	src.Seed(g.seed, uint64(id))
	pop := Popularity(g.Rank(id), g.n)
	// Popular movies are mostly well rated, with a wide spread around that.
	score := 4.5 + 5*pop/100 + 0.9*r.NormFloat64()
	score = round1(min(10, max(1, score)))
	return contract.Movie{
		ID:         id,
		Name:       title(r),
		Director:   g.Director(g.directorOf(r)),
		Popularity: contract.Float(pop),
		IMDBScore:  contract.Float(score),
		Genre:      g.pickGenres(r),
	}
}

func title(r *rand.Rand) string {
	t := titlePatterns[r.IntN(len(titlePatterns))](
		adjectives[r.IntN(len(adjectives))], adjectives[r.IntN(len(adjectives))],
		nouns[r.IntN(len(nouns))], nouns[r.IntN(len(nouns))])
	if r.IntN(20) == 0 {
		t += sequels[r.IntN(len(sequels))]
	}
	return t
}

// directorOf picks a director index skewed towards small indexes: index 0
// directs about 1 in 1,500 movies at 5M, the median director a handful.
func (g *Generator) directorOf(r *rand.Rand) int64 {
	return min(g.directors-1, int64(float64(g.directors)*math.Pow(r.Float64(), 1.5)))
}

// Director is the name of director index j; several indexes may share a
// name, as real directors do.
func (g *Generator) Director(j int64) string {
	h := splitmix(g.seed ^ uint64(j)*0x9e3779b97f4a7c15)
	first := firstNames[h%uint64(len(firstNames))]
	last := lastNames[(h>>16)%uint64(len(lastNames))]
	if (h>>32)%3 == 0 {
		return first + " " + string(rune('A'+(h>>40)%26)) + ". " + last
	}
	return first + " " + last
}

func (g *Generator) pickGenres(r *rand.Rand) []contract.Genre {
	k := pick(r, g.countCum) + 1
	out := make([]contract.Genre, 0, k)
next:
	for len(out) < k {
		name := g.genres[pick(r, g.genreCum)].Name
		for _, have := range out {
			if have.Name == name {
				continue next
			}
		}
		out = append(out, contract.Genre{Name: name})
	}
	return out
}

// pick draws an index with probability proportional to its weight, given the
// cumulative weights.
func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// SearchWords are the words titles are made of: search terms that match.
func SearchWords() []string {
	return append(append([]string{}, adjectives...), nouns...)
}
