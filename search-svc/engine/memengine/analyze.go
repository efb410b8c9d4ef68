package memengine

import (
	"regexp"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	charregexp "github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"

	"github.com/moviesplatform/search-svc/engine"
)

// analyzer normalises text as the Bleve engine's text analyzer does (Unicode
// word boundaries, apostrophes split, accents and case folded, no stemming),
// so both embedded engines, and Meilisearch for Latin scripts, agree on what
// a word is.
type analyzer struct {
	apostrophes *charregexp.CharFilter
	fold        *asciifolding.AsciiFoldingFilter
	split       *unicode.UnicodeTokenizer
	lower       *lowercase.LowerCaseFilter
}

func newAnalyzer() analyzer {
	return analyzer{
		apostrophes: charregexp.New(regexp.MustCompile(engine.Apostrophes), []byte(" ")),
		fold:        asciifolding.New(),
		split:       unicode.NewUnicodeTokenizer(),
		lower:       lowercase.NewLowerCaseFilter(),
	}
}

// terms returns the words of s in order, duplicates kept.
func (a analyzer) terms(s string) []string {
	if s == "" {
		return nil
	}
	if out, ok := plainTerms(s); ok {
		return out
	}
	return a.analyzed(s)
}

// analyzed is terms without the fast path: the full chain of filters.
func (a analyzer) analyzed(s string) []string {
	toks := a.lower.Filter(a.split.Tokenize(a.fold.Filter(a.apostrophes.Filter([]byte(s)))))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}

// plainTerms splits s the way the full analyzer does when s holds only ASCII
// letters, digits, spaces and apostrophes (most titles and names): there
// every run of letters and digits is one word (Unicode word boundaries never
// split it, apostrophes always do) and folding changes nothing but case. It skips the tokenizer's state
// machine and allocations, which were a third of indexing time. ok is false
// for any other text, which takes the full analyzer.
func plainTerms(s string) (out []string, ok bool) {
	space := func(c byte) bool { return c == ' ' || c == '\'' }
	words := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case space(c):
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			if i == 0 || space(s[i-1]) {
				words++
			}
		default:
			return nil, false
		}
	}
	out = make([]string, 0, words)
	lower := strings.ToLower(s) // one allocation; the words share it
	for w := range strings.FieldsFuncSeq(lower, func(r rune) bool { return r < 0x80 && space(byte(r)) }) {
		out = append(out, w)
	}
	return out, true
}
