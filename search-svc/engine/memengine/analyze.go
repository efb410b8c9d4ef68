package memengine

import (
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// analyzer normalises text as the Bleve engine's text analyzer does (Unicode
// word boundaries, accents and case folded, no stemming), so both embedded
// engines, and Meilisearch for Latin scripts, agree on what a word is.
type analyzer struct {
	fold  *asciifolding.AsciiFoldingFilter
	split *unicode.UnicodeTokenizer
	lower *lowercase.LowerCaseFilter
}

func newAnalyzer() analyzer {
	return analyzer{fold: asciifolding.New(), split: unicode.NewUnicodeTokenizer(), lower: lowercase.NewLowerCaseFilter()}
}

// terms returns the words of s in order, duplicates kept.
func (a analyzer) terms(s string) []string {
	if s == "" {
		return nil
	}
	if out, ok := plainTerms(s); ok {
		return out
	}
	toks := a.lower.Filter(a.split.Tokenize(a.fold.Filter([]byte(s))))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}

// plainTerms splits s the way the full analyzer does when s holds only ASCII
// letters, digits and spaces (most titles and names): there every run of
// letters and digits is one word (Unicode word boundaries never split it)
// and folding changes nothing but case. It skips the tokenizer's state
// machine and allocations, which were a third of indexing time. ok is false
// for any other text, which takes the full analyzer.
func plainTerms(s string) (out []string, ok bool) {
	words := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			if i == 0 || s[i-1] == ' ' {
				words++
			}
		default:
			return nil, false
		}
	}
	out = make([]string, 0, words)
	lower := strings.ToLower(s) // one allocation; the words share it
	for w := range strings.FieldsSeq(lower) {
		out = append(out, w)
	}
	return out, true
}
