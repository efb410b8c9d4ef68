package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// direction is which way a cursor walks from its row.
type direction string

const (
	forward  direction = "n" // rows after the key: the next page
	backward direction = "p" // rows before the key: the previous page
)

// cursor is a decoded page cursor: the sort key of the row a page continues
// from, the direction, and a fingerprint of the ordering it belongs to.
type cursor struct {
	keys []any
	dir  direction
}

// wireCursor is a cursor as encoded: JSON, then base64url. Opaque to
// clients, but not secret, so it holds nothing a client may not see.
type wireCursor struct {
	Dir      direction `json:"d"`
	Ordering string    `json:"o"`
	Keys     []any     `json:"k"`
}

func fingerprint(ordering []contract.Order) string {
	h := fnv.New32a()
	h.Write([]byte(contract.OrderingString(ordering)))
	return fmt.Sprintf("%08x", h.Sum32())
}

func encodeCursor(ordering []contract.Order, keys []any, dir direction) string {
	b, _ := json.Marshal(wireCursor{Dir: dir, Ordering: fingerprint(ordering), Keys: keys})
	return base64.RawURLEncoding.EncodeToString(b)
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
		(w.Dir != forward && w.Dir != backward) || len(w.Keys) != len(ordering) {
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
