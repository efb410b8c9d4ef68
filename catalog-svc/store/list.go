package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// sortColumns maps a sortable field to the column it orders by. Names and
// directors sort by their folded keys, the same bytes on every backend.
type sortColumns map[string]string

var movieSortColumns = sortColumns{
	contract.FieldID:         "m.id",
	contract.FieldName:       "m.name_key",
	contract.FieldDirector:   "m.director_key",
	contract.FieldPopularity: "m.popularity",
	contract.FieldIMDBScore:  "m.imdb_score",
}

// genreSortColumns order a genre's links by the copies of the movies' keys
// they carry (migration 00003), so that a genre's page walks one of
// movie_genres' (genre_id, key, movie_id) indexes.
var genreSortColumns = sortColumns{
	contract.FieldID:         "mg.movie_id",
	contract.FieldPopularity: "mg.popularity",
	contract.FieldIMDBScore:  "mg.imdb_score",
}

// mergedSortColumns order the union of several genres' pages (linksPage).
var mergedSortColumns = sortColumns{
	contract.FieldID:         "u.movie_id",
	contract.FieldPopularity: "u.popularity",
	contract.FieldIMDBScore:  "u.imdb_score",
}

// source is where a list reads its rows from, and the columns it orders by.
type source struct {
	from string
	cols sortColumns
	// genres, when set, are the folded genres whose links the page reads:
	// one index walk per genre, merged (linksPage). from and cols are then
	// one genre's.
	genres []string
}

// listSource picks where q reads from. A list filtered by genre and ordered
// by id, popularity or imdb_score (then id) starts from each genre's links,
// in the order of an index; anything else reads movies in the order of one
// of its indexes, testing each row's genres when filtered by genre.
func listSource(q contract.ListQuery) source {
	var genres []string
	for _, g := range q.Genres {
		if k := catalog.FoldKey(g); !slices.Contains(genres, k) {
			genres = append(genres, k)
		}
	}
	byLinks := len(genres) > 0 && len(q.Ordering) <= 2
	for _, o := range q.Ordering {
		byLinks = byLinks && genreSortColumns[o.Field] != ""
	}
	if !byLinks {
		return source{from: "movies m", cols: movieSortColumns}
	}
	src := source{
		from:   "movie_genres mg JOIN genres g ON g.id = mg.genre_id",
		cols:   genreSortColumns,
		genres: genres,
	}
	// Without other filters the links answer alone: pages and counts read
	// no movies row until the page's own.
	if q.Search != "" || q.Director != "" || q.IMDBScore != (contract.Range{}) || q.Popularity != (contract.Range{}) {
		src.from += " JOIN movies m ON m.id = mg.movie_id"
	}
	return src
}

// List returns one page of the movies matching q, keyset-paginated: a cursor
// holds the sort key of the row it continues from, so every page is an
// index range scan however deep it is. The page's queries all go to one
// database (a replica, see ReadFrom), so its count, rows and genres agree.
func (s *SQL) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	var page contract.Page
	err := s.reads.Read(ctx, func(db *sql.DB) error {
		var err error
		page, err = s.list(ctx, limitedReads{db, s.limit}, q)
		return err
	})
	if sqldb.StatementTimedOut(err) {
		return page, catalog.ErrTooSlow
	}
	return page, unavailable(err)
}

func (s *SQL) list(ctx context.Context, db querier, q contract.ListQuery) (contract.Page, error) {
	page := contract.Page{Movies: []contract.Movie{}}
	c := cursor{dir: forward}
	if q.Cursor != "" {
		var err error
		if c, err = decodeCursor(q.Cursor, q.Ordering); err != nil {
			return page, err
		}
		if err := c.resolve(ctx, db, q.Ordering); err != nil {
			return page, err
		}
	}
	dir := c.dir

	// Counting needs no order: genres count from their links whatever the
	// page's ordering.
	unordered := q
	unordered.Ordering = nil
	countSrc := listSource(unordered)
	countWhere, countArgs := filters(q, countSrc)
	var err error
	if page.Total, err = countMatches(ctx, db, countSrc, countWhere, countArgs, q.Cursor != "", s.countLimit); err != nil {
		return page, err
	}

	src := listSource(q)
	where, args := filters(q, src)

	if q.Cursor != "" {
		cond, condArgs := keysetCondition(src.cols, q.Ordering, c.keys, dir)
		where = append(where, cond)
		args = append(args, condArgs...)
	}
	query, args := pageQuery(src, where, args, q.Ordering, dir, q.PageSize+1)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	var keys [][]any
	for rows.Next() {
		var (
			m               contract.Movie
			nameKey, dirKey string
		)
		if err := rows.Scan(&m.ID, &m.Name, &m.Director, &m.Popularity, &m.IMDBScore, &m.Version, &nameKey, &dirKey); err != nil {
			return page, err
		}
		page.Movies = append(page.Movies, m)
		keys = append(keys, sortKey(q.Ordering, m, nameKey, dirKey))
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	rows.Close()

	more := len(page.Movies) > q.PageSize
	if more {
		page.Movies, keys = page.Movies[:q.PageSize], keys[:q.PageSize]
	}
	if dir == backward {
		slices.Reverse(page.Movies)
		slices.Reverse(keys)
	}
	if err := loadGenres(ctx, db, page.Movies); err != nil {
		return page, err
	}
	// There are rows beyond the page in the direction walked when the query
	// found one more; in the other direction when a cursor led here.
	ahead, behind := more, q.Cursor != ""
	if dir == backward {
		ahead, behind = behind, ahead
	}
	if n := len(keys); n > 0 {
		if ahead {
			page.Next = encodeCursor(q.Ordering, keys[n-1], forward)
		}
		if behind {
			page.Prev = encodeCursor(q.Ordering, keys[0], backward)
		}
	} else if q.Cursor != "" {
		// An empty page reached by a cursor (its rows were deleted
		// meanwhile): point back the way the client came.
		if dir == forward {
			page.Prev = encodeCursor(q.Ordering, c.keys, backward)
		} else {
			page.Next = encodeCursor(q.Ordering, c.keys, forward)
		}
	}
	return page, nil
}

const pageColumns = "m.id, m.name, m.director, m.popularity, m.imdb_score, m.version, m.name_key, m.director_key"

// pageQuery is the SELECT of a page of at most limit rows from src that
// meet where, in ordering walked in dir.
//
// A page of several genres is the union of one page per genre, each an
// index range scan of at most limit links, merged and cut to limit: a movie
// in two of the genres has the same sort key in both, so UNION lists it
// once. Probing each movie's genres instead (or letting the planner turn
// that probe into a semi-join, as MariaDB does) sorts every link of the
// genres when they are common, so a page costs as much as the genres.
func pageQuery(src source, where []string, args []any, ordering []contract.Order, dir direction, limit int) (string, []any) {
	if src.genres == nil {
		return "SELECT " + pageColumns + " FROM " + src.from + whereSQL(where) +
			" ORDER BY " + orderBy(src.cols, ordering, dir) + " LIMIT ?", append(args, limit)
	}
	branch := "SELECT * FROM (SELECT mg.movie_id, mg.popularity, mg.imdb_score FROM " + src.from +
		whereSQL(append([]string{"g.name_key = ?"}, where...)) +
		" ORDER BY " + orderBy(src.cols, ordering, dir) + " LIMIT ?) g"
	branches := make([]string, len(src.genres))
	var all []any
	for i, g := range src.genres {
		branches[i] = branch + strconv.Itoa(i)
		all = append(append(append(all, g), args...), limit)
	}
	return "SELECT " + pageColumns + " FROM (" + strings.Join(branches, " UNION ") + ") u JOIN movies m ON m.id = u.movie_id" +
		" ORDER BY " + orderBy(mergedSortColumns, ordering, dir) + " LIMIT ?", append(all, limit)
}

// orderBy is the ORDER BY of ordering walked in dir: walking backwards
// reads the order reversed, then flips the page.
func orderBy(cols sortColumns, ordering []contract.Order, dir direction) string {
	order := make([]string, len(ordering))
	for i, o := range ordering {
		order[i] = cols[o.Field] + " ASC"
		if o.Desc != (dir == backward) {
			order[i] = cols[o.Field] + " DESC"
		}
	}
	return strings.Join(order, ", ")
}

// MaxCount is the most matches a filtered list counts by default: past it
// the total is unknown (Page.Total nil, no X-Total-Count). See CountLimit.
const MaxCount = 10_000

// countMatches is a list's total, cheap at any catalog size: the unfiltered
// total is the counter row (exact, on every page); a filtered list counts
// its matches on its first page only, and at most limit (MaxCount) of them,
// so the count reads at most limit+1 rows of the filter's index (a `?search=`
// substring reads until it has found that many, or to the end: it scans
// anyway). A cursor page of a filtered list has no total: the client has it
// from the first page, and the page stays a pure range scan.
//
// Genres read from their links (listSource) with no other filter count the
// entries of the movie_genres index alone; several genres count each movie
// once.
func countMatches(ctx context.Context, db querier, src source, where []string, args []any, cursorPage bool, limit int) (*int64, error) {
	if len(where) == 0 && src.genres == nil {
		n, err := movieCount(ctx, db)
		return &n, err
	}
	if cursorPage {
		return nil, nil
	}
	match := "SELECT 1 FROM " + src.from + whereSQL(where)
	switch len(src.genres) {
	case 0:
	case 1:
		match = "SELECT 1 FROM " + src.from + whereSQL(append([]string{"g.name_key = ?"}, where...))
		args = append([]any{src.genres[0]}, args...)
	default:
		match = "SELECT DISTINCT mg.movie_id FROM " + src.from +
			whereSQL(append([]string{"g.name_key IN (" + placeholders(len(src.genres)) + ")"}, where...))
		var keys []any
		for _, g := range src.genres {
			keys = append(keys, g)
		}
		args = append(keys, args...)
	}
	var n int64
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+match+" LIMIT ?) matches",
		append(slices.Clip(args), limit+1)...).Scan(&n)
	if err != nil || n > int64(limit) {
		return nil, err
	}
	return &n, nil
}

func whereSQL(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

// filters renders q's filters as SQL conditions on movies m, read from src.
func filters(q contract.ListQuery, src source) ([]string, []any) {
	var (
		where []string
		args  []any
	)
	// DRF's SearchFilter: every term is a case-insensitive substring of the name.
	for _, term := range q.SearchTerms() {
		where = append(where, "m.name_key LIKE ? ESCAPE '!'")
		args = append(args, "%"+escapeLike(catalog.FoldKey(term))+"%")
	}
	if len(q.Genres) > 0 && src.genres == nil {
		// A probe of each movie's links, written as a scalar subquery: as
		// EXISTS or IN, MariaDB turns it into a semi-join that starts from
		// every link of the genres and sorts them (a common genre's every
		// link, for each page), where walking the order's index and
		// probing stops after a page of matches.
		where = append(where, `(SELECT 1 FROM movie_genres mg WHERE mg.movie_id = m.id
			AND mg.genre_id IN (SELECT g.id FROM genres g WHERE g.name_key IN (`+placeholders(len(q.Genres))+`)) LIMIT 1) IS NOT NULL`)
		for _, g := range q.Genres {
			args = append(args, catalog.FoldKey(g))
		}
	}
	if q.Director != "" {
		where = append(where, "m.director_key = ?")
		args = append(args, catalog.FoldKey(q.Director))
	}
	for _, r := range []struct {
		column string
		rng    contract.Range
	}{{"m.imdb_score", q.IMDBScore}, {"m.popularity", q.Popularity}} {
		if r.rng.Min != nil {
			where = append(where, r.column+" >= ?")
			args = append(args, *r.rng.Min)
		}
		if r.rng.Max != nil {
			where = append(where, r.column+" <= ?")
			args = append(args, *r.rng.Max)
		}
	}
	return where, args
}

// escapeLike makes s match literally in a LIKE pattern with ESCAPE '!'. The
// escape character is not a backslash because MySQL string literals would
// need it doubled and SQLite's not.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

func escapeLike(s string) string { return likeEscaper.Replace(s) }

// keysetCondition selects the rows after (dir forward) or before (backward)
// the row whose sort key is keys, in ordering:
//
//	(a > ?) OR (a = ? AND b > ?) OR (a = ? AND b = ? AND id > ?)
//
// with each comparison flipped for descending keys. Written out rather than
// as a row-value comparison because the keys' directions may differ.
func keysetCondition(cols sortColumns, ordering []contract.Order, keys []any, dir direction) (string, []any) {
	var (
		ors  []string
		args []any
	)
	for i, o := range ordering {
		var ands []string
		for j := range i {
			ands = append(ands, cols[ordering[j].Field]+" = ?")
			args = append(args, keys[j])
		}
		op := " > ?"
		if o.Desc != (dir == backward) {
			op = " < ?"
		}
		ands = append(ands, cols[o.Field]+op)
		args = append(args, keys[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// sortKey is the values of m's sort columns in ordering.
func sortKey(ordering []contract.Order, m contract.Movie, nameKey, directorKey string) []any {
	out := make([]any, len(ordering))
	for i, o := range ordering {
		switch o.Field {
		case contract.FieldID:
			out[i] = m.ID
		case contract.FieldName:
			out[i] = nameKey
		case contract.FieldDirector:
			out[i] = directorKey
		case contract.FieldPopularity:
			out[i] = float64(m.Popularity)
		case contract.FieldIMDBScore:
			out[i] = float64(m.IMDBScore)
		}
	}
	return out
}
