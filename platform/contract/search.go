package contract

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// Internal routes of search-svc. The gateway answers GET /api/search/ and
// GET /api/movies/?search= by calling RouteInternalSearch with the same query
// parameters as the list (see ParseSearchQuery).
const (
	RouteInternalSearch  = "/internal/search"
	RouteInternalReindex = "/internal/search/reindex"
)

// ParamFacets names the facets a search should count. Absent means every
// facet (only genre today); present but empty means none.
const ParamFacets = "facets"

// ParamQ is accepted by search as a synonym of ParamSearch: it is how
// Meilisearch's and TMDB's clients spell the query, and ignoring it would
// answer the whole catalog to a user who asked for one film.
const ParamQ = "q"

// FacetGenre is the one facet search counts.
const FacetGenre = "genre"

// MaxSearchWindow bounds offset+limit of a search: relevance-ranked results
// are re-ranked for every page, so deep pages cost as much as all the pages
// before them. Meilisearch calls this pagination.maxTotalHits.
const MaxSearchWindow = 10000

// SearchQuery is a full-text search with the list's filters.
type SearchQuery struct {
	// Text is the user's query; every term must match, the last one also as a
	// prefix. Empty matches every movie.
	Text       string
	Genres     []string // any of, case-insensitive
	Director   string   // exact, case-insensitive
	IMDBScore  Range
	Popularity Range
	// Sort is an explicit order; empty means relevance, then popularity
	// (descending), then id.
	Sort   []Order
	Offset int
	Limit  int
	Facets []string
}

// SearchResult is one page of search hits. EstimatedTotal may be approximate
// (Meilisearch's estimatedTotalHits) and is capped at MaxSearchWindow by some
// engines.
type SearchResult struct {
	Hits           []Movie                     `json:"hits"`
	Facets         map[string]map[string]int64 `json:"facets,omitempty"`
	EstimatedTotal int64                       `json:"estimated_total"`
	Offset         int                         `json:"offset"`
	Limit          int                         `json:"limit"`
	// Next and Prev are cursors for the same search (ParamCursor); empty when
	// there is no such page.
	Next string `json:"next,omitempty"`
	Prev string `json:"prev,omitempty"`
}

// Page renders a search result as a list page, so GET /api/movies/?search=
// keeps the list's shape and paging.
func (r SearchResult) Page() Page {
	total := r.EstimatedTotal
	return Page{Movies: r.Hits, Next: r.Next, Prev: r.Prev, Total: &total}
}

// ParseSearchQuery reads the list's parameters (ParseListQuery) plus
// ParamFacets as a search; the text may be given as ParamQ instead of
// ParamSearch.
func ParseSearchQuery(v url.Values) (SearchQuery, error) {
	v, err := qAsSearch(v)
	if err != nil {
		return SearchQuery{}, err
	}
	lq, err := ParseListQuery(v)
	if err != nil {
		return SearchQuery{}, err
	}
	sq, err := SearchQueryFromList(lq)
	if err != nil {
		return SearchQuery{}, err
	}
	if raw, ok := v[ParamFacets]; ok {
		sq.Facets = nil
		for _, f := range strings.Split(strings.Join(raw, ","), ",") {
			switch f = strings.TrimSpace(f); f {
			case "":
			case FacetGenre:
				sq.Facets = []string{FacetGenre}
			default:
				return SearchQuery{}, apierr.Validation(map[string][]string{ParamFacets: {"Unknown facet \"" + f + "\"; use genre."}})
			}
		}
	}
	return sq, nil
}

// qAsSearch returns v with ParamQ moved to ParamSearch, so the list's
// parsing (and its limits) applies to either spelling. Both given with
// different texts is ambiguous, so it is refused rather than one silently
// winning.
func qAsSearch(v url.Values) (url.Values, error) {
	if _, ok := v[ParamQ]; !ok {
		return v, nil
	}
	text := strings.TrimSpace(v.Get(ParamQ))
	if _, ok := v[ParamSearch]; ok && strings.TrimSpace(v.Get(ParamSearch)) != text {
		return nil, apierr.Validation(map[string][]string{ParamQ: {"q and search are the same parameter; give one of them, or both with the same text."}})
	}
	out := make(url.Values, len(v))
	for k, vals := range v {
		if k != ParamQ {
			out[k] = vals
		}
	}
	out.Set(ParamSearch, text)
	return out, nil
}

// SearchQueryFromList turns a parsed list query into a search. The list's
// default ordering (id alone) means relevance here; the cursor must be one
// made by SearchCursor. Facets default to all.
func SearchQueryFromList(q ListQuery) (SearchQuery, error) {
	sq := SearchQuery{
		Text: q.Search, Genres: q.Genres, Director: q.Director,
		IMDBScore: q.IMDBScore, Popularity: q.Popularity,
		Limit: q.PageSize, Facets: []string{FacetGenre},
	}
	if !(len(q.Ordering) == 1 && q.Ordering[0] == Order{Field: FieldID}) {
		sq.Sort = q.Ordering
	}
	if sq.Limit <= 0 {
		sq.Limit = DefaultPageSize
	}
	if q.Cursor != "" {
		off, ok := parseSearchCursor(q.Cursor)
		if !ok {
			return SearchQuery{}, apierr.Validation(map[string][]string{ParamCursor: {"Invalid cursor."}})
		}
		sq.Offset = off
	}
	if sq.Offset+sq.Limit > MaxSearchWindow {
		return SearchQuery{}, apierr.Validation(map[string][]string{ParamCursor: {"Search results end at " + strconv.Itoa(MaxSearchWindow) + "; narrow the search."}})
	}
	return sq, nil
}

// Values renders q as query parameters; ParseSearchQuery(q.Values()) gives q
// back.
func (q SearchQuery) Values() url.Values {
	lq := ListQuery{
		Search: q.Text, Genres: q.Genres, Director: q.Director,
		IMDBScore: q.IMDBScore, Popularity: q.Popularity, Ordering: q.Sort, PageSize: q.Limit,
	}
	if q.Offset > 0 {
		lq.Cursor = SearchCursor(q.Offset)
	}
	v := lq.Values()
	v[ParamFacets] = []string{strings.Join(q.Facets, ",")}
	return v
}

// Cursors returns the cursors of the pages around a result of q.
func (q SearchQuery) Cursors(total int64) (next, prev string) {
	if end := q.Offset + q.Limit; int64(end) < total && end < MaxSearchWindow {
		next = SearchCursor(end)
	}
	if q.Offset > 0 {
		prev = SearchCursor(max(0, q.Offset-q.Limit))
	}
	return next, prev
}

const searchCursorPrefix = "search:"

// SearchCursor is the opaque cursor of the search page starting at offset.
func SearchCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(searchCursorPrefix + strconv.Itoa(offset)))
}

func parseSearchCursor(c string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(raw), searchCursorPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxSearchWindow {
		return 0, false
	}
	return n, true
}
