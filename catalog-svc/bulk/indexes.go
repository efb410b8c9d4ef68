package bulk

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// secondaryIndex is one index of the movies table as information_schema
// describes it, enough to drop it and build it again unchanged.
type secondaryIndex struct {
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

// dropMovieIndexes drops the secondary indexes of an empty movies table and
// returns them. Inserted row by row, those four indexes (popularity,
// imdb_score, name and director keys, in random order) cost more than the
// rest of the load together once they outgrow the buffer pool; built
// afterwards, each is one sort. They are read from the database, not
// written here, so they come back exactly as the migrations made them.
//
// Only the movies table: movie_genres and movie_changes grow at the end of
// each of their indexes, and movie_genres' genre index backs a foreign key.
func dropMovieIndexes(ctx context.Context, conn *sql.Conn) ([]secondaryIndex, error) {
	var one int
	switch err := conn.QueryRowContext(ctx, "SELECT 1 FROM movies LIMIT 1").Scan(&one); err {
	case sql.ErrNoRows:
	case nil:
		return nil, nil // a catalog with movies keeps serving from its indexes
	default:
		return nil, err
	}
	// SHOW INDEX lists the indexes in the table's own order, which the
	// rebuilt table keeps; information_schema has no such order.
	rows, err := conn.QueryContext(ctx, "SHOW INDEX FROM movies")
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
		if name == "PRIMARY" {
			continue
		}
		if sub := col["Sub_part"]; sub.Valid {
			column += "(" + sub.String + ")"
		}
		if n := len(out); n > 0 && out[n-1].name == name {
			out[n-1].columns = append(out[n-1].columns, column)
			continue
		}
		out = append(out, secondaryIndex{name: name, unique: col["Non_unique"].String == "0", columns: []string{column}})
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return nil, err
	}
	drops := make([]string, len(out))
	for i, ix := range out {
		drops[i] = "DROP INDEX " + quoteIdent(ix.name)
	}
	if _, err := conn.ExecContext(ctx, "ALTER TABLE movies "+strings.Join(drops, ", ")); err != nil {
		return nil, fmt.Errorf("drop the movies indexes for the load: %w", err)
	}
	return out, nil
}

// addIndexes builds the indexes dropMovieIndexes dropped, in one pass.
func addIndexes(ctx context.Context, conn *sql.Conn, indexes []secondaryIndex) error {
	adds := make([]string, len(indexes))
	for i, ix := range indexes {
		adds[i] = ix.definition()
	}
	if _, err := conn.ExecContext(ctx, "ALTER TABLE movies "+strings.Join(adds, ", ")); err != nil {
		return fmt.Errorf("rebuild the movies indexes after the load: %w", err)
	}
	return nil
}
