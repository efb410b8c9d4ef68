package bulk

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// table is one table a batch writes, and its columns in row order.
type table struct {
	name    string
	columns string
}

var (
	moviesTable = table{"movies", "id, name, name_key, director, director_key, popularity, imdb_score"}
	linksTable  = table{"movie_genres", "movie_id, genre_id, position, popularity, imdb_score"}
	feedTable   = table{"movie_changes", "seq, movie_id, op, payload, actor, created_at"}
)

// rowFormat writes a table's rows either as the VALUES of one multi-row
// INSERT (sqlRows) or as the text of LOAD DATA LOCAL INFILE (loadRows).
type rowFormat interface {
	// begin is what a batch of rows of t starts with.
	begin(t table) []byte
	// row starts a row; first says it is the batch's first.
	row(b []byte, first bool) []byte
	field(b []byte) []byte // between two fields
	end(b []byte) []byte   // after a row
	str(b []byte, s string) []byte
	time(b []byte, t time.Time) []byte
	null(b []byte) []byte
}

// sqlRows renders rows as SQL literals: `INSERT ... VALUES (..),(..)`.
type sqlRows struct{ lit literals }

func (f sqlRows) begin(t table) []byte {
	return []byte("INSERT INTO " + t.name + " (" + t.columns + ") VALUES ")
}

func (sqlRows) row(b []byte, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	return append(b, '(')
}
func (sqlRows) field(b []byte) []byte               { return append(b, ',') }
func (sqlRows) end(b []byte) []byte                 { return append(b, ')') }
func (f sqlRows) str(b []byte, s string) []byte     { return f.lit.appendString(b, s) }
func (f sqlRows) time(b []byte, t time.Time) []byte { return f.lit.appendTime(b, t) }
func (sqlRows) null(b []byte) []byte                { return append(b, "NULL"...) }

// loadRows renders rows in LOAD DATA's default text format: fields
// separated by tabs, rows ended by newlines, backslash escapes, \N for
// NULL. The server reads it with no SQL parsing per value, which is most
// of its cost per row with INSERT text.
type loadRows struct{ timeLayout string }

// loadStatement loads the rows of t from the reader handler registered as
// name (go-sql-driver's Reader:: scheme: no file on disk). The defaults of
// FIELDS and LINES are the format above; they are left out because the
// escapes written out would depend on the session's sql_mode.
func loadStatement(t table, name string) string {
	return "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE " + t.name +
		" CHARACTER SET utf8mb4 (" + t.columns + ")"
}

func (loadRows) begin(table) []byte          { return nil }
func (loadRows) row(b []byte, _ bool) []byte { return b }
func (loadRows) field(b []byte) []byte       { return append(b, '\t') }
func (loadRows) end(b []byte) []byte         { return append(b, '\n') }
func (loadRows) null(b []byte) []byte        { return append(b, '\\', 'N') }

func (f loadRows) time(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, f.timeLayout)
}

func (loadRows) str(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return b
}

// sqlDateTime is how MySQL writes a DATETIME(6).
const sqlDateTime = "2006-01-02 15:04:05.999999"

// canLoadData says whether the server takes LOAD DATA LOCAL INFILE from
// this session: local_infile on, and backslash escapes in effect (the text
// format relies on them).
func canLoadData(ctx context.Context, conn *sql.Conn, sqlMode string) (bool, error) {
	var on bool
	if err := conn.QueryRowContext(ctx, "SELECT @@GLOBAL.local_infile").Scan(&on); err != nil {
		return false, err
	}
	return on && !strings.Contains(strings.ToUpper(sqlMode), "NO_BACKSLASH_ESCAPES"), nil
}

// loadData sends ld's rows to the server from memory through a reader
// handler registered under a name of its own for the one statement.
func (l *loader) loadData(ctx context.Context, tx *sql.Tx, ld tableLoad) error {
	name := fmt.Sprintf("movies-bulk-%p-%d", l, l.loads.Add(1))
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(ld.rows) })
	defer mysql.DeregisterReaderHandler(name)
	res, err := tx.ExecContext(ctx, loadStatement(ld.t, name))
	if err != nil {
		return err
	}
	// LOCAL turns row errors into warnings: a short count is the only sign.
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if want := int64(bytes.Count(ld.rows, []byte{'\n'})); n != want {
		return fmt.Errorf("LOAD DATA stored %d rows of %d", n, want)
	}
	return nil
}
