package bleveengine

import (
	"encoding/json"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	charregexp "github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

const (
	// textAnalyzer splits on Unicode word boundaries and apostrophes, folds
	// accents and case and does not stem, as Meilisearch's tokenizer does for
	// Latin scripts.
	textAnalyzer = "movie_text"
	apostrophes  = "apostrophes"
	fieldSource  = "movie_json"
	// Sort keys: numbers as fixed-width keywords. Sorting on a keyword reads
	// one doc value per hit, where a numeric field holds a term per
	// precision step, which made relevance-then-popularity queries
	// several times slower on large catalogs.
	fieldPopularityKey = "popularity_key"
	fieldIMDBScoreKey  = "imdb_score_key"
	fieldIDKey         = "id_key"
	maxFacetSize       = 100
)

// Field weights: the name is the main field, the director counts less, as
// Meilisearch's attribute ranking rule orders searchableAttributes.
var searchFields = []struct {
	name  string
	boost float64
}{{engine.FieldName, 3}, {engine.FieldDirector, 1}}

// Relative weight of a term matched exactly, with typos, or as a prefix, so
// exact words outrank near ones (Meilisearch's typo and exactness rules).
const (
	boostExact  = 1.0
	boostPrefix = 0.6
	boostTypo   = 0.3
)

func newMapping() (mapping.IndexMapping, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomCharFilter(apostrophes, map[string]any{
		"type":    charregexp.Name,
		"regexp":  engine.Apostrophes,
		"replace": " ",
	}); err != nil {
		return nil, fmt.Errorf("bleve: mapping: %w", err)
	}
	if err := m.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type":          custom.Name,
		"char_filters":  []string{apostrophes, asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, fmt.Errorf("bleve: mapping: %w", err)
	}
	text := bleve.NewTextFieldMapping()
	text.Analyzer = textAnalyzer
	text.Store = false
	text.IncludeTermVectors = false
	text.DocValues = false

	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		return f
	}
	num := bleve.NewNumericFieldMapping()
	num.Store = false
	num.IncludeInAll = false
	source := bleve.NewTextFieldMapping()
	source.Index = false
	source.Store = true
	source.IncludeInAll = false
	source.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(engine.FieldName, text)
	doc.AddFieldMappingsAt(engine.FieldDirector, text)
	doc.AddFieldMappingsAt(engine.FieldGenre, kw())
	doc.AddFieldMappingsAt(engine.FieldGenreKey, kw())
	doc.AddFieldMappingsAt(engine.FieldDirectorKey, kw())
	doc.AddFieldMappingsAt(engine.FieldNameSort, kw())
	doc.AddFieldMappingsAt(engine.FieldPopularity, num)
	doc.AddFieldMappingsAt(engine.FieldIMDBScore, num)
	doc.AddFieldMappingsAt(engine.FieldID, num)
	for _, f := range []string{fieldPopularityKey, fieldIMDBScoreKey, fieldIDKey} {
		doc.AddFieldMappingsAt(f, kw())
	}
	doc.AddFieldMappingsAt(fieldSource, source)
	m.DefaultMapping = doc
	m.DefaultAnalyzer = textAnalyzer
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

func buildRequest(m mapping.IndexMapping, q contract.SearchQuery) (*bleve.SearchRequest, error) {
	var must []query.Query
	terms, err := analyze(m, q.Text)
	if err != nil {
		return nil, err
	}
	for i, t := range terms {
		must = append(must, termQuery(t, i == len(terms)-1))
	}
	must = append(must, filters(q)...)
	var root query.Query = bleve.NewMatchAllQuery()
	if len(must) > 0 {
		root = bleve.NewConjunctionQuery(must...)
	}
	req := bleve.NewSearchRequestOptions(root, q.Limit, q.Offset, false)
	req.Fields = []string{fieldSource}
	req.SortBy(sortOrder(q.Sort))
	for _, f := range q.Facets {
		if f == contract.FacetGenre {
			req.AddFacet(contract.FacetGenre, bleve.NewFacetRequest(engine.FieldGenre, maxFacetSize))
		}
	}
	return req, nil
}

// analyze splits the query text with the index's own analyzer, so query
// terms and indexed terms are normalized alike.
func analyze(m mapping.IndexMapping, text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	a := m.AnalyzerNamed(textAnalyzer)
	if a == nil {
		return nil, fmt.Errorf("bleve: analyzer %q missing", textAnalyzer)
	}
	var out []string
	for _, tok := range a.Analyze([]byte(text)) {
		out = append(out, string(tok.Term))
	}
	if len(out) > contract.MaxSearchTerms {
		out = out[:contract.MaxSearchTerms]
	}
	return out, nil
}

// termQuery matches one query term in any searchable field: exactly, within
// the typo budget for its length, and (for the last term, which the user may
// still be typing) as a prefix.
func termQuery(term string, last bool) query.Query {
	var alts []query.Query
	for _, f := range searchFields {
		exact := bleve.NewTermQuery(term)
		exact.SetField(f.name)
		exact.SetBoost(f.boost * boostExact)
		alts = append(alts, exact)
		if typos := engine.Typos(term); typos > 0 {
			fz := bleve.NewFuzzyQuery(term)
			fz.SetField(f.name)
			fz.SetFuzziness(typos)
			fz.SetBoost(f.boost * boostTypo)
			alts = append(alts, fz)
		}
		if last {
			p := bleve.NewPrefixQuery(term)
			p.SetField(f.name)
			p.SetBoost(f.boost * boostPrefix)
			alts = append(alts, p)
		}
	}
	return bleve.NewDisjunctionQuery(alts...)
}

func filters(q contract.SearchQuery) []query.Query {
	var out []query.Query
	if len(q.Genres) > 0 {
		var any []query.Query
		for _, g := range q.Genres {
			t := bleve.NewTermQuery(engine.Key(g))
			t.SetField(engine.FieldGenreKey)
			any = append(any, t)
		}
		out = append(out, bleve.NewDisjunctionQuery(any...))
	}
	if q.Director != "" {
		t := bleve.NewTermQuery(engine.Key(q.Director))
		t.SetField(engine.FieldDirectorKey)
		out = append(out, t)
	}
	for field, r := range map[string]contract.Range{engine.FieldIMDBScore: q.IMDBScore, engine.FieldPopularity: q.Popularity} {
		if r == (contract.Range{}) {
			continue
		}
		incl := true
		nr := bleve.NewNumericRangeInclusiveQuery(r.Min, r.Max, &incl, &incl)
		nr.SetField(field)
		out = append(out, nr)
	}
	return out
}

// sortOrder is relevance, then popularity, then id unless an order is
// given. Each public field sorts on its keyword key.
func sortOrder(order []contract.Order) []string {
	if len(order) == 0 {
		return []string{"-_score", "-" + fieldPopularityKey, fieldIDKey}
	}
	out := make([]string, 0, len(order))
	for _, o := range order {
		f := sortKey(o.Field)
		if o.Desc {
			f = "-" + f
		}
		out = append(out, f)
	}
	return out
}

func sortKey(public string) string {
	switch public {
	case contract.FieldPopularity:
		return fieldPopularityKey
	case contract.FieldIMDBScore:
		return fieldIMDBScoreKey
	case contract.FieldID:
		return fieldIDKey
	default:
		return engine.SortField(public)
	}
}

// Fixed-width renderings that sort as the numbers do (all are ≥ 0: the
// catalog validates scores and popularity, and ids are positive).
func numberKey(f float64) string { return fmt.Sprintf("%012.3f", f) }
func idKey(id int64) string      { return fmt.Sprintf("%020d", id) }

func decodeResult(q contract.SearchQuery, res *bleve.SearchResult) (contract.SearchResult, error) {
	out := contract.SearchResult{
		Hits:           make([]contract.Movie, 0, len(res.Hits)),
		EstimatedTotal: int64(res.Total),
		Offset:         q.Offset,
		Limit:          q.Limit,
	}
	for _, h := range res.Hits {
		src, _ := h.Fields[fieldSource].(string)
		var m contract.Movie
		if err := json.Unmarshal([]byte(src), &m); err != nil {
			return contract.SearchResult{}, fmt.Errorf("bleve: hit %s: %w", h.ID, err)
		}
		out.Hits = append(out.Hits, m)
	}
	if fr, ok := res.Facets[contract.FacetGenre]; ok {
		counts := map[string]int64{}
		if fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				counts[t.Term] = int64(t.Count)
			}
		}
		out.Facets = map[string]map[string]int64{contract.FacetGenre: counts}
	}
	return out, nil
}
