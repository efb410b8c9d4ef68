// Package refdata is the seed's reference dataset (imdb.json, 248 movies) as
// the catalog imports it: ids 1..248 in file order, "99popularity" as
// popularity, genre names trimmed. Tests use it to check search against the
// same data the catalog serves.
package refdata

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

//go:embed imdb.json
var imdbJSON []byte

type record struct {
	Popularity float64  `json:"99popularity"`
	Director   string   `json:"director"`
	Genre      []string `json:"genre"`
	IMDBScore  float64  `json:"imdb_score"`
	Name       string   `json:"name"`
}

// Movies returns the reference movies with the ids the catalog gives them.
func Movies() []contract.Movie {
	var recs []record
	if err := json.Unmarshal(imdbJSON, &recs); err != nil {
		panic("refdata: embedded imdb.json is invalid: " + err.Error())
	}
	out := make([]contract.Movie, 0, len(recs))
	for i, r := range recs {
		m := contract.Movie{
			ID: int64(i + 1), Name: strings.TrimSpace(r.Name), Director: strings.TrimSpace(r.Director),
			Popularity: contract.Float(r.Popularity), IMDBScore: contract.Float(r.IMDBScore),
			Genre: []contract.Genre{},
		}
		seen := map[string]bool{}
		for _, g := range r.Genre {
			if g = strings.TrimSpace(g); g != "" && !seen[g] {
				seen[g] = true
				m.Genre = append(m.Genre, contract.Genre{Name: g})
			}
		}
		out = append(out, m)
	}
	return out
}
