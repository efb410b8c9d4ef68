package contract

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// Paging limits of list and search answers.
const (
	DefaultPageSize = 100
	MaxPageSize     = 500
	// MaxSearchTerms bounds the work one ?search= can ask of a store.
	MaxSearchTerms = 10
	maxParamLength = 255
)

// Query parameters of GET /api/movies/.
const (
	ParamSearch        = "search"
	ParamGenre         = "genre"
	ParamDirector      = "director"
	ParamScoreMin      = "imdb_score_min"
	ParamScoreMax      = "imdb_score_max"
	ParamPopularityMin = "popularity_min"
	ParamPopularityMax = "popularity_max"
	ParamOrdering      = "ordering"
	ParamPageSize      = "page_size"
	ParamCursor        = "cursor"
)

// Sortable fields, by their public names.
const (
	FieldID         = "id"
	FieldName       = "name"
	FieldDirector   = "director"
	FieldPopularity = "popularity"
	FieldIMDBScore  = "imdb_score"
)

// SortFields are the fields ordering accepts.
var SortFields = []string{FieldID, FieldName, FieldDirector, FieldPopularity, FieldIMDBScore}

// Order is one key of an ordering: a field, ascending unless Desc.
type Order struct {
	Field string
	Desc  bool
}

// Range bounds a numeric field; nil ends are open.
type Range struct {
	Min, Max *float64
}

// ListQuery is a parsed GET /api/movies/ query.
type ListQuery struct {
	Search     string
	Genres     []string // any of
	Director   string   // exact, case-insensitive
	IMDBScore  Range
	Popularity Range
	// Ordering always ends with id, so every order is total and cursors are stable.
	Ordering []Order
	PageSize int
	Cursor   string
}

// SearchTerms splits Search on white space, as DRF's SearchFilter does.
func (q ListQuery) SearchTerms() []string { return strings.Fields(q.Search) }

// Filtered reports whether any filter (including search) narrows the list.
func (q ListQuery) Filtered() bool {
	return q.Search != "" || len(q.Genres) > 0 || q.Director != "" ||
		q.IMDBScore != (Range{}) || q.Popularity != (Range{})
}

// ParseListQuery reads and validates list parameters. Unknown parameters are
// ignored, as DRF does; bad values give one message per field.
func ParseListQuery(v url.Values) (ListQuery, error) {
	q := ListQuery{PageSize: DefaultPageSize}
	bad := map[string][]string{}

	q.Search = strings.TrimSpace(v.Get(ParamSearch))
	if len(q.Search) > maxParamLength {
		bad[ParamSearch] = append(bad[ParamSearch], "Ensure this value has at most 255 characters.")
	} else if len(q.SearchTerms()) > MaxSearchTerms {
		bad[ParamSearch] = append(bad[ParamSearch], "Use at most 10 search terms.")
	}
	for _, raw := range v[ParamGenre] {
		for _, g := range strings.Split(raw, ",") {
			if g = strings.TrimSpace(g); g != "" {
				q.Genres = append(q.Genres, g)
			}
		}
	}
	if len(q.Genres) > 20 {
		bad[ParamGenre] = append(bad[ParamGenre], "Filter on at most 20 genres.")
	}
	q.Director = strings.TrimSpace(v.Get(ParamDirector))
	if len(q.Director) > maxParamLength {
		bad[ParamDirector] = append(bad[ParamDirector], "Ensure this value has at most 255 characters.")
	}
	parseRange(v, ParamScoreMin, ParamScoreMax, 0, 10, &q.IMDBScore, bad)
	parseRange(v, ParamPopularityMin, ParamPopularityMax, 0, 100, &q.Popularity, bad)

	if raw := v.Get(ParamPageSize); raw != "" {
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			bad[ParamPageSize] = append(bad[ParamPageSize], "A valid integer is required.")
		case n < 1 || n > MaxPageSize:
			bad[ParamPageSize] = append(bad[ParamPageSize], "Ensure this value is between 1 and 500.")
		default:
			q.PageSize = n
		}
	}
	ordering, err := ParseOrdering(v.Get(ParamOrdering))
	if err != "" {
		bad[ParamOrdering] = append(bad[ParamOrdering], err)
	}
	q.Ordering = ordering
	q.Cursor = v.Get(ParamCursor)
	if len(q.Cursor) > 1024 {
		bad[ParamCursor] = append(bad[ParamCursor], "Invalid cursor.")
	}
	if len(bad) > 0 {
		return ListQuery{}, apierr.Validation(bad)
	}
	return q, nil
}

// ParseOrdering reads DRF's ordering syntax ("-popularity,name"). The result
// always ends with id, so it is a total order: in the direction of the last
// key before it (ascending for none) unless id was named. Ties following the
// order's direction let one ascending index serve both directions of a key,
// read forwards or backwards ("-popularity" is popularity DESC, id DESC).
// The second result is a message when the syntax or a field is bad.
func ParseOrdering(raw string) ([]Order, string) {
	var out []Order
	seen := map[string]bool{}
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		o := Order{Field: part}
		if strings.HasPrefix(part, "-") {
			o = Order{Field: part[1:], Desc: true}
		}
		if !isSortField(o.Field) {
			return nil, "Unknown ordering field \"" + o.Field + "\"; use one of id, name, director, popularity, imdb_score."
		}
		if seen[o.Field] {
			continue
		}
		seen[o.Field] = true
		out = append(out, o)
		if o.Field == FieldID {
			break // id is unique: nothing after it can matter
		}
	}
	if !seen[FieldID] {
		out = append(out, Order{Field: FieldID, Desc: len(out) > 0 && out[len(out)-1].Desc})
	}
	return out, ""
}

// OrderingString renders an ordering in DRF's syntax.
func OrderingString(ordering []Order) string {
	parts := make([]string, len(ordering))
	for i, o := range ordering {
		parts[i] = o.Field
		if o.Desc {
			parts[i] = "-" + o.Field
		}
	}
	return strings.Join(parts, ",")
}

// Values renders q back into query parameters; ParseListQuery(q.Values())
// gives q back.
func (q ListQuery) Values() url.Values {
	v := url.Values{}
	if q.Search != "" {
		v.Set(ParamSearch, q.Search)
	}
	for _, g := range q.Genres {
		v.Add(ParamGenre, g)
	}
	if q.Director != "" {
		v.Set(ParamDirector, q.Director)
	}
	setFloat(v, ParamScoreMin, q.IMDBScore.Min)
	setFloat(v, ParamScoreMax, q.IMDBScore.Max)
	setFloat(v, ParamPopularityMin, q.Popularity.Min)
	setFloat(v, ParamPopularityMax, q.Popularity.Max)
	if len(q.Ordering) > 0 {
		v.Set(ParamOrdering, OrderingString(q.Ordering))
	}
	if q.PageSize > 0 {
		v.Set(ParamPageSize, strconv.Itoa(q.PageSize))
	}
	if q.Cursor != "" {
		v.Set(ParamCursor, q.Cursor)
	}
	return v
}

// Page is one page of a list: the movies and the cursors around it.
type Page struct {
	Movies []Movie `json:"movies"`
	// Next and Prev are opaque cursors; empty when there is no such page.
	Next string `json:"next,omitempty"`
	Prev string `json:"prev,omitempty"`
	// Total counts all matches; nil when counting would be too costly.
	Total *int64 `json:"total,omitempty"`
}

func isSortField(f string) bool {
	for _, s := range SortFields {
		if s == f {
			return true
		}
	}
	return false
}

func parseRange(v url.Values, minKey, maxKey string, lo, hi float64, r *Range, bad map[string][]string) {
	for _, k := range []string{minKey, maxKey} {
		raw := v.Get(k)
		if raw == "" {
			continue
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f != f {
			bad[k] = append(bad[k], "A valid number is required.")
			continue
		}
		if f < lo || f > hi {
			bad[k] = append(bad[k], "Ensure this value is between "+fmtFloat(lo)+" and "+fmtFloat(hi)+".")
			continue
		}
		if k == minKey {
			r.Min = &f
		} else {
			r.Max = &f
		}
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		bad[minKey] = append(bad[minKey], "Must not be greater than "+maxKey+".")
	}
}

func setFloat(v url.Values, k string, f *float64) {
	if f != nil {
		v.Set(k, fmtFloat(*f))
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
