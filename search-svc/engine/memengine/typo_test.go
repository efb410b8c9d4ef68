package memengine

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blevesearch/vellum"
	"github.com/blevesearch/vellum/levenshtein"
)

// The lazy automaton finds the same words at the same distances as vellum's
// Levenshtein DFA, which the engine used before, both word by word and
// walking a dictionary: typo matching, and so ranking, did not change.
func TestTypoMatcherAgreesWithVellumDFA(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	// A small alphabet with multi-byte runes makes near words, repeated
	// letters and transpositions common.
	alphabet := []rune("abcdeéß語")
	word := func(maxLen int) string {
		rs := make([]rune, 1+r.IntN(maxLen))
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(rs)
	}
	edit := func(w string) string {
		rs := []rune(w)
		for range 1 + r.IntN(3) {
			i := r.IntN(len(rs) + 1)
			switch r.IntN(4) {
			case 0:
				rs = slices.Insert(rs, i, alphabet[r.IntN(len(alphabet))])
			case 1:
				if i < len(rs) {
					rs = slices.Delete(rs, i, i+1)
				}
			case 2:
				if i < len(rs) {
					rs[i] = alphabet[r.IntN(len(alphabet))]
				}
			case 3:
				if i+1 < len(rs) {
					rs[i], rs[i+1] = rs[i+1], rs[i]
				}
			}
		}
		return string(rs)
	}
	var builders [3]*levenshtein.LevenshteinAutomatonBuilder
	for d := 1; d <= 2; d++ {
		b, err := levenshtein.NewLevenshteinAutomatonBuilder(uint8(d), true)
		if err != nil {
			t.Fatal(err)
		}
		builders[d] = b
	}
	var m typoMatcher
	for range 300 {
		query := word(8)
		typos := 1 + r.IntN(2)
		dfa, err := builders[typos].BuildDfa(query, uint8(typos))
		if err != nil {
			t.Fatal(err)
		}
		m.reset(query, typos)
		dict := map[string]bool{}
		for range 60 {
			w := edit(query)
			if r.IntN(4) == 0 {
				w = word(8)
			}
			dict[w] = true
			wantOK, wantD := dfa.MatchAndDistance(w)
			gotD, gotOK := m.distance(w)
			if gotOK != wantOK || gotOK && gotD != int(wantD) {
				t.Fatalf("%q within %d of %q: got %v at %d, vellum %v at %d", w, typos, query, gotOK, gotD, wantOK, wantD)
			}
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range dict {
				if !yield(k) {
					return
				}
			}
		})
		var buf bytes.Buffer
		b, err := vellum.New(&buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			if err := b.Insert([]byte(k), uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		fst, err := vellum.Load(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := walk(t, fst, &m), walk(t, fst, dfa); !slices.Equal(got, want) {
			t.Fatalf("dictionary walk for %q within %d: got %q, vellum %q", query, typos, got, want)
		}
	}
}

func walk(t *testing.T, fst *vellum.FST, aut vellum.Automaton) []string {
	var out []string
	it, err := fst.Search(aut, nil, nil)
	for err == nil {
		k, _ := it.Current()
		out = append(out, string(k))
		err = it.Next()
	}
	if err != vellum.ErrIteratorDone {
		t.Fatal(err)
	}
	return out
}
