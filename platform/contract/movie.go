package contract

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Movie is a movie as the seed's API shows it.
type Movie struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Director   string  `json:"director"`
	Popularity Float   `json:"popularity"`
	IMDBScore  Float   `json:"imdb_score"`
	Genre      []Genre `json:"genre"`
	// Version counts the writes the movie has seen (1 when created). It
	// travels as the ETag (MovieETag), never in the body, whose shape is
	// the seed's; so answers about one movie (a read, a write) carry it and
	// list pages from a remote catalog or a cache may not.
	Version int64 `json:"-"`
}

// ETag is the movie's strong entity tag.
func (m Movie) ETag() string { return MovieETag(m.ID, m.Version) }

// Genre is one genre of a movie, as an object, as the seed shows it.
type Genre struct {
	Name string `json:"name"`
}

// UnmarshalJSON accepts {"name": "Drama"} and, for convenience, "Drama".
func (g *Genre) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &g.Name)
	}
	var obj struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	g.Name = obj.Name
	return nil
}

// MovieWrite is the body of POST, PUT and PATCH. Pointers tell "absent" from
// "zero"; which fields are required is the catalog's business. An "id" in the
// body is ignored, as in the seed.
type MovieWrite struct {
	Name       *string  `json:"name,omitempty"`
	Director   *string  `json:"director,omitempty"`
	Popularity *float64 `json:"popularity,omitempty"`
	IMDBScore  *float64 `json:"imdb_score,omitempty"`
	Genre      *[]Genre `json:"genre,omitempty"`
}

// Float is a float64 that always renders with a decimal point (80 → 80.0),
// as Django REST Framework renders a FloatField.
type Float float64

// MarshalJSON renders f with at least one decimal.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	b := strconv.AppendFloat(nil, v, 'f', -1, 64)
	if !bytes.ContainsAny(b, ".e") {
		b = append(b, '.', '0')
	}
	return b, nil
}

// ChangeOp is the kind of a change in the catalog's change feed.
type ChangeOp string

// The change operations.
const (
	OpUpsert ChangeOp = "upsert"
	OpDelete ChangeOp = "delete"
)

// Change is one entry of the catalog change feed (the outbox). A delete is a
// tombstone: Movie is nil.
type Change struct {
	Seq     int64     `json:"seq"`
	MovieID int64     `json:"movie_id"`
	Op      ChangeOp  `json:"op"`
	Movie   *Movie    `json:"movie,omitempty"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
	// TraceParent is the W3C traceparent of the traced request that made
	// the change, so the indexer's span can link back to it; empty when
	// the write was not traced.
	TraceParent string `json:"traceparent,omitempty"`
}

// ChangePage is a page of the change feed, in sequence order.
type ChangePage struct {
	Changes []Change `json:"changes"`
	// Last is the sequence number to ask "after" for the next page: the last
	// change's Seq, or the request's after when the page is empty.
	Last int64 `json:"last"`
	// Head is the newest sequence number in the feed, for lag accounting.
	Head int64 `json:"head"`
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
