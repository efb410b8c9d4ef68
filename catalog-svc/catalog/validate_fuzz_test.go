package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// FuzzValidateNew: any JSON body is a valid movie or a 400 with field
// messages, never a panic; a movie it accepts is accepted again as it is
// (validation is idempotent, so a PUT of a GET's answer works).
func FuzzValidateNew(f *testing.F) {
	for _, seed := range []string{
		`{"name":"King Kong","director":"Merian C. Cooper","popularity":80,"imdb_score":8,"genre":[{"name":"Adventure"}]}`,
		`{"name":"","director":"x","popularity":101,"imdb_score":-1,"genre":[]}`,
		`{"name":"  Spaces  ","director":" d ","popularity":0,"imdb_score":10,"genre":[{"name":" Drama"},{"name":"drama"}]}`,
		`{"99popularity":5}`, `{}`, `{"genre":[{}]}`, `{"name":"\u202e","director":"x","popularity":1,"imdb_score":1,"genre":[]}`,
		`{"name":"Ame\u0301lie","director":"x\u2066","popularity":1,"imdb_score":1,"genre":[{"name":"Come\u0301die"}]}`,
		`{"name":"a\tb","director":"\u0085","popularity":1,"imdb_score":1,"genre":[{"name":"\u200e"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in contract.MovieWrite
		if json.Unmarshal(body, &in) != nil {
			return // the transport's 400
		}
		m, err := catalog.ValidateNew(in)
		if err != nil {
			if apierr.KindOf(err) != apierr.Invalid {
				t.Fatalf("%s: %v is not a 400", body, err)
			}
			return
		}
		again, err := catalog.ValidateNew(writeOf(m))
		if err != nil {
			t.Fatalf("%s: accepted as %+v, which is then refused: %v", body, m, err)
		}
		if again.Name != m.Name || again.Director != m.Director || len(again.Genre) != len(m.Genre) {
			t.Fatalf("%s: %+v validates again as %+v", body, m, again)
		}
	})
}

func writeOf(m contract.Movie) contract.MovieWrite {
	genres := make([]contract.Genre, len(m.Genre))
	copy(genres, m.Genre)
	pop, score := float64(m.Popularity), float64(m.IMDBScore)
	return contract.MovieWrite{Name: &m.Name, Director: &m.Director, Popularity: &pop, IMDBScore: &score, Genre: &genres}
}
