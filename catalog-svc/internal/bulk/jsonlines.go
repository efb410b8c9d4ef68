package bulk

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"iter"

	"github.com/moviesplatform/platform/contract"
)

// JSONLines reads a stream of movies as the API shows them, one JSON object
// after another (JSON Lines, as `loadtest gen` writes). Decoding stops at
// the first error, which is yielded.
func JSONLines(r io.Reader) iter.Seq2[contract.Movie, error] {
	return func(yield func(contract.Movie, error) bool) {
		dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
		for {
			var m contract.Movie
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}
