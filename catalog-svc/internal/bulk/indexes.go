package bulk

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// secondaryIndex is one index of the movies table as information_schema
// describes it, enough to drop it and build it again unchanged.
type secondaryIndex struct {
	table   string
	name    string
	unique  bool
	columns []string
}

func (ix secondaryIndex) definition() string {
	kind := "INDEX"
	if ix.unique {
		kind = "UNIQUE INDEX"
	}
	return "ADD " + kind + " " + quoteIdent(ix.name) + " (" + strings.Join(ix.columns, ", ") + ")"
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// dropMovieIndexes drops the secondary indexes of an empty movies table,
// and those of movie_genres that carry sort keys, and returns them.
// Inserted row by row, those indexes (popularity, imdb_score, name and
// director keys, in random order) cost more than the rest of the load
// together once they outgrow the buffer pool; built afterwards, each is one
// sort. They are read from the database, not written here, so they come
// back exactly as the migrations made them.
//
// movie_genres keeps its primary key and movie_genres_genre (genre_id,
// movie_id), which back its foreign keys and grow at their end; so does
// movie_changes.
func dropMovieIndexes(ctx context.Context, conn *sql.Conn) ([]secondaryIndex, error) {
	var one int
	switch err := conn.QueryRowContext(ctx, "SELECT 1 FROM movies LIMIT 1").Scan(&one); err {
	case sql.ErrNoRows:
	case nil:
		return nil, nil // a catalog with movies keeps serving from its indexes
	default:
		return nil, err
	}
	movies, err := dropIndexes(ctx, conn, "movies", func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	links, err := dropIndexes(ctx, conn, "movie_genres", func(name string) bool { return name != "movie_genres_genre" })
	return append(movies, links...), err
}

// dropIndexes drops the secondary indexes of table that drop says to, and
// returns them.
func dropIndexes(ctx context.Context, conn *sql.Conn, table string, drop func(name string) bool) ([]secondaryIndex, error) {
	// SHOW INDEX lists the indexes in the table's own order, which the
	// rebuilt table keeps; information_schema has no such order.
	rows, err := conn.QueryContext(ctx, "SHOW INDEX FROM "+quoteIdent(table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []secondaryIndex
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		col := map[string]sql.NullString{}
		for i, n := range names {
			col[n] = vals[i]
		}
		name, column := col["Key_name"].String, quoteIdent(col["Column_name"].String)
		if name == "PRIMARY" || !drop(name) {
			continue
		}
		if sub := col["Sub_part"]; sub.Valid {
			column += "(" + sub.String + ")"
		}
		if col["Collation"].String == "D" { // a descending part (migration 00005)
			column += " DESC"
		}
		if n := len(out); n > 0 && out[n-1].name == name {
			out[n-1].columns = append(out[n-1].columns, column)
			continue
		}
		out = append(out, secondaryIndex{table: table, name: name, unique: col["Non_unique"].String == "0", columns: []string{column}})
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return nil, err
	}
	drops := make([]string, len(out))
	for i, ix := range out {
		drops[i] = "DROP INDEX " + quoteIdent(ix.name)
	}
	if _, err := conn.ExecContext(ctx, "ALTER TABLE "+quoteIdent(table)+" "+strings.Join(drops, ", ")); err != nil {
		return nil, fmt.Errorf("drop the %s indexes for the load: %w", table, err)
	}
	return out, nil
}

// addIndexes builds the indexes dropMovieIndexes dropped: one ALTER TABLE
// per table, the tables at once on conns. InnoDB builds a table's indexes
// in one thread (a scan, then a sort per index), so two tables on two
// connections use two cores; the build is a large part of a load
// (docs/performance.md, *Bulk load*).
func addIndexes(ctx context.Context, conns []*sql.Conn, indexes []secondaryIndex) error {
	var tables [][]string
	for i, ix := range indexes {
		if i == 0 || ix.table != indexes[i-1].table {
			tables = append(tables, []string{ix.table})
		}
		tables[len(tables)-1] = append(tables[len(tables)-1], ix.definition())
	}
	var g errgroup.Group
	for i, t := range tables {
		conn := conns[i%len(conns)]
		g.Go(func() error {
			if _, err := conn.ExecContext(ctx, "ALTER TABLE "+quoteIdent(t[0])+" "+strings.Join(t[1:], ", ")); err != nil {
				return fmt.Errorf("rebuild the %s indexes after the load: %w", t[0], err)
			}
			return nil
		})
		if i%len(conns) == len(conns)-1 {
			if err := g.Wait(); err != nil {
				return err
			}
		}
	}
	return g.Wait()
}

// isEmpty says whether the catalog has no movies.
func isEmpty(ctx context.Context, tx *sql.Tx) (bool, error) {
	var one int
	switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM movies LIMIT 1").Scan(&one); err {
	case sql.ErrNoRows:
		return true, nil
	case nil:
		return false, nil
	default:
		return false, err
	}
}

// dropSQLiteIndexes drops, in tx, the indexes of the loaded tables of an
// empty SQLite catalog and returns the statements that create them again,
// as the migrations wrote them. Built in one pass over the loaded rows,
// each is one sort, where row-by-row inserts into every B-tree at once
// outgrow the page cache and cost most of a load. The primary keys and
// UNIQUE constraints (no CREATE statement of their own) stay. Dropped and
// created in the load's one transaction, they are never seen missing.
func dropSQLiteIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	if empty, err := isEmpty(ctx, tx); err != nil || !empty {
		return nil, err // a catalog with movies keeps serving from its indexes
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('movies', 'movie_genres', 'movie_changes') ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names, creates []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			return nil, err
		}
		names, creates = append(names, name), append(creates, create)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+quoteIdent(name)); err != nil {
			return nil, fmt.Errorf("drop index %s for the load: %w", name, err)
		}
	}
	return creates, nil
}
