package memengine

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
)

// The fast path for plain ASCII text splits exactly as the full analyzer.
func TestPlainTermsAgreeWithTheAnalyzer(t *testing.T) {
	an := newAnalyzer()
	inputs := []string{"Star Wars", "  The  Godfather ", "R2D2 and C3PO", "2001 A Space Odyssey", "x", " ",
		"Schindler's List", "l'avion", "rock'n'roll", "'quoted'", "O''Hara"}
	for _, m := range catalogtest.ReferenceMovies() {
		inputs = append(inputs, m.Name, m.Director)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZq9 0 '"
	for range 5000 {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	plain := 0
	for _, s := range inputs {
		got, ok := plainTerms(s)
		if !ok {
			continue
		}
		plain++
		if want := an.analyzed(s); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%q: fast path %q, analyzer %q", s, got, want)
		}
	}
	if plain < 5000 {
		t.Errorf("only %d inputs took the fast path", plain)
	}
	if _, ok := plainTerms("Amélie"); ok {
		t.Error("non-ASCII text took the fast path")
	}
}

// Apostrophes split words, straight or typographic, as Meilisearch's Latin
// segmenter splits them.
func TestApostrophesSplitWords(t *testing.T) {
	an := newAnalyzer()
	for in, want := range map[string][]string{
		"Schindler's List": {"schindler", "s", "list"},
		"Schindler’s List": {"schindler", "s", "list"},
		"L'Avion":          {"l", "avion"},
		"Amélie's":         {"amelie", "s"},
	} {
		if got := an.terms(in); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
