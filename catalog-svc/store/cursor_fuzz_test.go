package store

import (
	"errors"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// FuzzDecodeCursor: a cursor from a client is one this store made for the
// same ordering, or ErrInvalidCursor (a 400); never a panic. A cursor it
// made reads back.
func FuzzDecodeCursor(f *testing.F) {
	ordering := []contract.Order{{Field: contract.FieldPopularity, Desc: true}, {Field: contract.FieldID, Desc: true}}
	made := encodeCursor(ordering, []any{7.5, int64(42)}, forward)
	for _, seed := range []string{made, "", "c.", "e30", "eyJvIjoieCJ9", made + "x", "!!!"} {
		f.Add(seed)
	}
	if _, err := decodeCursor(made, ordering); err != nil {
		f.Fatalf("a cursor made here does not read back: %v", err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := decodeCursor(s, ordering); err != nil && !errors.Is(err, catalog.ErrInvalidCursor) {
			t.Fatalf("%q: %v, want ErrInvalidCursor", s, err)
		}
	})
}
