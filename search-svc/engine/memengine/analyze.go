package memengine

import (
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
	toks := a.lower.Filter(a.split.Tokenize(a.fold.Filter([]byte(s))))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}
