package contract

import (
	"log/slog"
	"net/url"
	"slices"
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

// ParseOrdering reads DRF's ordering syntax ("-popularity,name") and
// normalizes it (NormalOrdering). The second result is a message when the
// syntax or a field is bad.
func ParseOrdering(raw string) ([]Order, string) {
	var out []Order
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
		out = append(out, o)
	}
	return NormalOrdering(out), ""
}

// NormalOrdering makes ordering a total order: repeated fields and
// everything after id are dropped, and it ends with id, in the direction of
// the last key before it (ascending for none). Ties following the order's
// direction let one ascending index serve both directions of a key, read
// forwards or backwards ("-popularity" is popularity DESC, id DESC). An
// ordering naming a field that cannot be sorted on becomes id alone. An
// ordering that is already normal is returned as is, without allocating.
func NormalOrdering(ordering []Order) []Order {
	if isNormalOrdering(ordering) {
		return ordering
	}
	out := make([]Order, 0, len(ordering)+1)
	for _, o := range ordering {
		if !isSortField(o.Field) {
			return []Order{{Field: FieldID}}
		}
		if slices.ContainsFunc(out, func(p Order) bool { return p.Field == o.Field }) {
			continue
		}
		out = append(out, o)
		if o.Field == FieldID {
			return out // id is unique: nothing after it can matter
		}
	}
	return append(out, Order{Field: FieldID, Desc: len(out) > 0 && out[len(out)-1].Desc})
}

// isNormalOrdering reports whether ordering is what NormalOrdering makes:
// sortable fields, each once, id last and only last (in either direction:
// a client may name it).
func isNormalOrdering(ordering []Order) bool {
	if len(ordering) == 0 {
		return false
	}
	for i, o := range ordering {
		if !isSortField(o.Field) || (o.Field == FieldID) != (i == len(ordering)-1) {
			return false
		}
		for _, p := range ordering[:i] {
			if p.Field == o.Field {
				return false
			}
		}
	}
	return true
}

// OrderingString renders an ordering in DRF's syntax.
func OrderingString(ordering []Order) string { return string(AppendOrdering(nil, ordering)) }

// AppendOrdering appends ordering in DRF's syntax to dst: for callers that
// hash or key on an ordering without building a string.
func AppendOrdering(dst []byte, ordering []Order) []byte {
	for i, o := range ordering {
		if i > 0 {
			dst = append(dst, ',')
		}
		if o.Desc {
			dst = append(dst, '-')
		}
		dst = append(dst, o.Field...)
	}
	return dst
}

// Normalized returns q as the stores need it, whoever built it: the
// ordering normal (NormalOrdering: it ends with id, so cursors are stable)
// and the page size within bounds. ParseListQuery's results are normal
// already; this is for queries built in code.
func (q ListQuery) Normalized() ListQuery {
	q.Ordering = NormalOrdering(q.Ordering)
	switch {
	case q.PageSize <= 0:
		q.PageSize = DefaultPageSize
	case q.PageSize > MaxPageSize:
		q.PageSize = MaxPageSize
	}
	return q
}

// Canonical renders q as its canonical query string: the known parameters
// only, in a fixed order, each in one spelling, defaults left out. Two
// requests asking for the same page have the same canonical string, so it
// is the key of every cache of list answers, what a log line shows, and
// what a client sends on; ParseListQuery of it gives q back. It is rendered
// from the fields on each call (they are exported and callers change them),
// so compute it once per request and pass it on.
func (q ListQuery) Canonical() string {
	var b strings.Builder
	q.params(func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	})
	return b.String()
}

// LogValue logs q compactly, as its canonical query string, rendered only
// when the line is written.
func (q ListQuery) LogValue() slog.Value { return slog.StringValue(q.Canonical()) }

// Values renders q back into query parameters, as Canonical does;
// ParseListQuery(q.Values()) gives q back.
func (q ListQuery) Values() url.Values {
	v := url.Values{}
	q.params(func(k, s string) { v.Add(k, s) })
	return v
}

// params calls add for each parameter of q's canonical form, in order.
// Default values (ordering by id, the default page size) are left out.
func (q ListQuery) params(add func(k, v string)) {
	if q.Search != "" {
		add(ParamSearch, q.Search)
	}
	for _, g := range q.Genres {
		add(ParamGenre, g)
	}
	if q.Director != "" {
		add(ParamDirector, q.Director)
	}
	addFloat(add, ParamScoreMin, q.IMDBScore.Min)
	addFloat(add, ParamScoreMax, q.IMDBScore.Max)
	addFloat(add, ParamPopularityMin, q.Popularity.Min)
	addFloat(add, ParamPopularityMax, q.Popularity.Max)
	if len(q.Ordering) > 0 && !(len(q.Ordering) == 1 && q.Ordering[0] == Order{Field: FieldID}) {
		add(ParamOrdering, string(AppendOrdering(nil, q.Ordering)))
	}
	if q.PageSize > 0 && q.PageSize != DefaultPageSize {
		add(ParamPageSize, strconv.Itoa(q.PageSize))
	}
	if q.Cursor != "" {
		add(ParamCursor, q.Cursor)
	}
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

func addFloat(add func(k, v string), k string, f *float64) {
	if f != nil {
		add(k, fmtFloat(*f))
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
