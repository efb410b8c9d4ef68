package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
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

// genreSortColumns order one genre's links by the copies of the movies'
// keys they carry (migration 00003), so that a genre's page walks one of
// movie_genres' (genre_id, key, movie_id) indexes.
var genreSortColumns = sortColumns{
	contract.FieldID:         "mg.movie_id",
	contract.FieldPopularity: "mg.popularity",
	contract.FieldIMDBScore:  "mg.imdb_score",
}

// source is where a list reads its rows from, and the columns it orders by.
type source struct {
	from string
	cols sortColumns
	// where is the source's own condition (the genre), args its arguments.
	where []string
	args  []any
	// linksOnly: the source answers the filters alone, so counting needs
	// no movies row.
	linksOnly bool
}

// listSource picks where q reads from. A list of one genre ordered by id,
// popularity or imdb_score (then id) starts from that genre's links, in
// the order of an index; anything else reads movies in the order of one of
// its indexes, testing each row's genres when filtered by genre.
func listSource(q contract.ListQuery) source {
	genres := map[string]bool{}
	for _, g := range q.Genres {
		genres[catalog.FoldKey(g)] = true
	}
	byLinks := len(genres) == 1 && len(q.Ordering) <= 2
	for _, o := range q.Ordering {
		byLinks = byLinks && genreSortColumns[o.Field] != ""
	}
	if !byLinks {
		return source{from: "movies m", cols: movieSortColumns}
	}
	key := catalog.FoldKey(q.Genres[0])
	src := source{
		from:  "movie_genres mg JOIN genres g ON g.id = mg.genre_id JOIN movies m ON m.id = mg.movie_id",
		cols:  genreSortColumns,
		where: []string{"g.name_key = ?"},
		args:  []any{key},
	}
	if q.Search == "" && q.Director == "" && q.IMDBScore == (contract.Range{}) && q.Popularity == (contract.Range{}) {
		src.linksOnly = true
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
		page, err = s.list(ctx, db, q)
		return err
	})
	return page, err
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

	src := listSource(q)
	where, args := filters(q, src)
	var err error
	if page.Total, err = countMatches(ctx, db, src, where, args, q.Cursor != "", s.countLimit); err != nil {
		return page, err
	}

	if q.Cursor != "" {
		cond, condArgs := keysetCondition(src.cols, q.Ordering, c.keys, dir)
		where = append(where, cond)
		args = append(args, condArgs...)
	}
	order := make([]string, len(q.Ordering))
	for i, o := range q.Ordering {
		// Walking backwards reads the order reversed, then flips the page.
		order[i] = src.cols[o.Field] + " ASC"
		if o.Desc != (dir == backward) {
			order[i] = src.cols[o.Field] + " DESC"
		}
	}
	rows, err := db.QueryContext(ctx,
		"SELECT m.id, m.name, m.director, m.popularity, m.imdb_score, m.name_key, m.director_key FROM "+src.from+
			whereSQL(where)+" ORDER BY "+strings.Join(order, ", ")+" LIMIT ?",
		append(args, q.PageSize+1)...)
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
		if err := rows.Scan(&m.ID, &m.Name, &m.Director, &m.Popularity, &m.IMDBScore, &nameKey, &dirKey); err != nil {
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
// A genre read from its links (listSource) with no other filter counts
// the entries of its movie_genres index alone.
func countMatches(ctx context.Context, db querier, src source, where []string, args []any, cursorPage bool, limit int) (*int64, error) {
	if len(where) == 0 {
		n, err := movieCount(ctx, db)
		return &n, err
	}
	if cursorPage {
		return nil, nil
	}
	var n int64
	from := src.from
	if src.linksOnly {
		from = "movie_genres mg JOIN genres g ON g.id = mg.genre_id"
	}
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+from+whereSQL(where)+" LIMIT ?) matches",
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
	where, args := slices.Clone(src.where), slices.Clone(src.args)
	// DRF's SearchFilter: every term is a case-insensitive substring of the name.
	for _, term := range q.SearchTerms() {
		where = append(where, "m.name_key LIKE ? ESCAPE '!'")
		args = append(args, "%"+escapeLike(catalog.FoldKey(term))+"%")
	}
	if len(q.Genres) > 0 && src.where == nil {
		where = append(where, `EXISTS (SELECT 1 FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
			WHERE mg.movie_id = m.id AND g.name_key IN (`+placeholders(len(q.Genres))+`))`)
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
