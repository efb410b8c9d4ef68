package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// maxCursorLength is the longest cursor contract.ParseListQuery accepts.
const maxCursorLength = 1024

// direction is which way a cursor walks from its row.
type direction string

const (
	forward  direction = "n" // rows after the key: the next page
	backward direction = "p" // rows before the key: the previous page
)

// cursor is a decoded page cursor: the sort key of the row a page continues
// from (or, for a by-row cursor, only that row's id) and the direction.
type cursor struct {
	keys []any
	row  int64
	dir  direction
}

// wireCursor is a cursor as encoded: JSON, then base64url. Opaque to
// clients, but not secret, so it holds nothing a client may not see.
//
// Keys holds the boundary row's sort key. When that would make the cursor
// too long (long names, in a long encoding), Row holds the row's id instead
// and the key is read back from the row: the same page, unless the row is
// deleted meanwhile, when the cursor stops working.
type wireCursor struct {
	Dir      direction `json:"d"`
	Ordering string    `json:"o"`
	Keys     []any     `json:"k,omitempty"`
	Row      int64     `json:"r,omitempty"`
}

// fingerprint names ordering in a cursor, so a cursor made for one order is
// refused by another. It hashes the ordering's DRF spelling, written straight
// into the hash, so cursors made before stay valid.
func fingerprint(ordering []contract.Order) string {
	var buf [64]byte
	h := fnv.New32a()
	h.Write(contract.AppendOrdering(buf[:0], ordering))
	return fmt.Sprintf("%08x", h.Sum32())
}

func encodeCursor(ordering []contract.Order, keys []any, dir direction) string {
	w := wireCursor{Dir: dir, Ordering: fingerprint(ordering), Keys: keys}
	if c := marshalCursor(w); len(c) <= maxCursorLength {
		return c
	}
	// The ordering ends with id, so the key's last value is the row's id.
	return marshalCursor(wireCursor{Dir: dir, Ordering: w.Ordering, Row: keys[len(keys)-1].(int64)})
}

func marshalCursor(w wireCursor) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(w)
	return base64.RawURLEncoding.EncodeToString(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// decodeCursor reads a cursor made by encodeCursor for ordering; anything
// else (garbage, or a cursor of another ordering) is catalog.ErrInvalidCursor.
func decodeCursor(s string, ordering []contract.Order) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, catalog.ErrInvalidCursor
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var w wireCursor
	if err := dec.Decode(&w); err != nil || w.Ordering != fingerprint(ordering) ||
		(w.Dir != forward && w.Dir != backward) {
		return cursor{}, catalog.ErrInvalidCursor
	}
	if w.Keys == nil && w.Row > 0 {
		return cursor{row: w.Row, dir: w.Dir}, nil
	}
	if len(w.Keys) != len(ordering) {
		return cursor{}, catalog.ErrInvalidCursor
	}
	keys := make([]any, len(ordering))
	for i, o := range ordering {
		var ok bool
		if keys[i], ok = keyValue(o.Field, w.Keys[i]); !ok {
			return cursor{}, catalog.ErrInvalidCursor
		}
	}
	return cursor{keys: keys, dir: w.Dir}, nil
}

// resolve fills in the sort key of a by-row cursor from its row.
func (c *cursor) resolve(ctx context.Context, q querier, ordering []contract.Order) error {
	if c.keys != nil {
		return nil
	}
	var (
		m               contract.Movie
		nameKey, dirKey string
	)
	err := q.QueryRowContext(ctx,
		"SELECT id, popularity, imdb_score, name_key, director_key FROM movies WHERE id = ?", c.row).
		Scan(&m.ID, &m.Popularity, &m.IMDBScore, &nameKey, &dirKey)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.ErrInvalidCursor
	}
	if err != nil {
		return err
	}
	c.keys = sortKey(ordering, m, nameKey, dirKey)
	return nil
}

// keyValue checks a decoded key has the type of field's column.
func keyValue(field string, v any) (any, bool) {
	switch field {
	case contract.FieldName, contract.FieldDirector:
		s, ok := v.(string)
		return s, ok
	case contract.FieldID:
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		id, err := n.Int64()
		return id, err == nil
	default:
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		f, err := n.Float64()
		return f, err == nil
	}
}
