// Package store keeps the catalog in SQL: the embedded SQLite and MySQL (or
// MariaDB, or Vitess) through one implementation of catalog.Store, whose
// queries differ between the two only where dialect says.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// MigrationTable records which catalog migrations a database has seen.
const MigrationTable = "catalog_schema_migrations"

//go:embed migrations
var migrations embed.FS

// Migrations returns the versioned migrations for driver.
func Migrations(driver sqldb.Driver) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+string(driver))
}

// Migrate brings db's catalog schema up to date.
func Migrate(ctx context.Context, db *sql.DB, driver sqldb.Driver) error {
	fsys, err := Migrations(driver)
	if err != nil {
		return err
	}
	return sqldb.Migrate(ctx, db, driver, fsys, MigrationTable)
}

// dialect holds the little SQL that differs between the drivers.
type dialect struct {
	// insertIgnore starts an INSERT that skips rows violating a unique key.
	insertIgnore string
	// lockRow ends a SELECT that must lock its rows until commit. SQLite
	// needs none: its write transactions begin IMMEDIATE (sqldb.Open).
	lockRow string
}

var dialects = map[sqldb.Driver]dialect{
	sqldb.SQLite: {insertIgnore: "INSERT OR IGNORE INTO"},
	sqldb.MySQL:  {insertIgnore: "INSERT IGNORE INTO", lockRow: " FOR UPDATE"},
}

// SQL is the catalog store on a SQL database.
type SQL struct {
	// db is the primary: writes, and the reads inside them, go there.
	db *sql.DB
	// reads runs the reads outside writes (Get, List, Changes).
	reads  Reader
	driver sqldb.Driver
	d      dialect
	// now stamps change-feed rows; tests may replace it.
	now func() time.Time
	// countLimit bounds a filtered list's count (MaxCount).
	countLimit int
	// limit stops a list's statements on the server (LimitReads).
	limit sqldb.StatementLimit
	// idempotencyTTL is how long an Idempotency-Key is remembered.
	idempotencyTTL time.Duration
}

var _ catalog.Store = (*SQL)(nil)

// Reader runs reads on the database it picks: sqldb.Cluster sends them to
// a healthy replica, or to the primary for a caller that must see its own
// write (readpref.WithPrimary).
type Reader interface {
	Read(ctx context.Context, fn func(db *sql.DB) error) error
}

// Option configures a store.
type Option func(*SQL)

// ReadFrom sends Get, List and Changes through r. Writes, and every read a
// write makes (the row PATCH changes, "already imported?", genre lookups),
// stay in their transaction on the primary given to New.
//
// Changes may lag on a replica, and that is safe: a replica applies the
// primary's transactions in commit order, and writes serialize on the feed
// writer row, so what a replica holds is a prefix of the feed. A follower
// asking for seq > N gets rows later rather than never, and a page from a
// replica further behind than the last one is empty, not out of order.
// The feed's readers (search-svc) are already eventually consistent; the
// replica adds at most the lag bound to their delay and takes their polling
// off the primary.
func ReadFrom(r Reader) Option { return func(s *SQL) { s.reads = r } }

// CountLimit sets how many matches a filtered list counts at most before
// its total becomes unknown (default MaxCount).
func CountLimit(n int) Option { return func(s *SQL) { s.countLimit = n } }

// LimitReads has the server stop each statement of a list (the `?search=`
// fallback scans among them) that runs past l, so one whose client gave up
// does not go on taking a core.
func LimitReads(l sqldb.StatementLimit) Option { return func(s *SQL) { s.limit = l } }

// limitedReads runs a querier's statements under a StatementLimit.
type limitedReads struct {
	q     querier
	limit sqldb.StatementLimit
}

func (l limitedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return l.q.QueryContext(ctx, l.limit.Apply(ctx, query), args...)
}

func (l limitedReads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return l.q.QueryRowContext(ctx, l.limit.Apply(ctx, query), args...)
}

// primaryReads runs every read on the primary.
type primaryReads struct{ db *sql.DB }

func (p primaryReads) Read(_ context.Context, fn func(*sql.DB) error) error { return fn(p.db) }

// New returns the store on db, whose schema Migrate has set up. Reads go to
// db too unless ReadFrom says otherwise.
func New(db *sql.DB, driver sqldb.Driver, opts ...Option) (*SQL, error) {
	d, ok := dialects[driver]
	if !ok {
		return nil, fmt.Errorf("store: unsupported driver %q", driver)
	}
	s := &SQL{db: db, reads: primaryReads{db}, driver: driver, d: d, now: func() time.Time { return time.Now().UTC() }, countLimit: MaxCount,
		idempotencyTTL: DefaultIdempotencyTTL}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// With returns a copy of the store with opts applied over its own.
func (s *SQL) With(opts ...Option) *SQL {
	c := *s
	for _, o := range opts {
		o(&c)
	}
	return &c
}

// Ping checks the database answers.
func (s *SQL) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Count returns the number of movies, from the counter row every create
// and delete keeps (a COUNT(*) reads a whole index, which grows with the
// catalog).
func (s *SQL) Count(ctx context.Context) (int64, error) {
	return movieCount(ctx, s.db)
}

func movieCount(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT movies FROM movie_count WHERE id = 1").Scan(&n)
	return n, err
}

// inTx runs the write fn in a transaction, committing when it returns nil.
//
// Every write first takes the feed's writer row (movie_changes_writer), so
// writes are serialized, from the start, on every backend. Catalog writes
// are rare admin edits and imports; in exchange:
//   - feed sequence numbers follow commit order. With concurrent MySQL
//     writers seq 11 could otherwise commit before seq 10, and a feed
//     reader that had moved past 11 would never see 10;
//   - a MySQL transaction's snapshot is taken after the lock, so its reads
//     see every committed write: the importer's "already there?" check and
//     the genre lookup after INSERT IGNORE cannot miss a concurrent one;
//   - writers touching the same new genre cannot deadlock.
func (s *SQL) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	err = LockWriter(ctx, tx)
	if err == nil {
		err = fn(tx)
	}
	if err != nil {
		_ = tx.Rollback()
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

// unavailable turns a lost database connection into the catalog's 503;
// a deadline stays a deadline (net.Error matches those too).
func unavailable(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || !sqldb.Unreachable(err) {
		return err
	}
	return catalog.ErrDatabaseUnavailable.Wrap(err)
}

// Get returns one movie.
func (s *SQL) Get(ctx context.Context, id int64) (contract.Movie, error) {
	var m contract.Movie
	err := s.reads.Read(ctx, func(db *sql.DB) error {
		var err error
		m, err = getMovie(ctx, db, id, "")
		return err
	})
	return m, unavailable(err)
}

// querier is what reads need: a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getMovie(ctx context.Context, q querier, id int64, lock string) (contract.Movie, error) {
	m := contract.Movie{ID: id}
	err := q.QueryRowContext(ctx,
		"SELECT name, director, popularity, imdb_score, version FROM movies WHERE id = ?"+lock, id).
		Scan(&m.Name, &m.Director, &m.Popularity, &m.IMDBScore, &m.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return contract.Movie{}, catalog.ErrNotFound
	}
	if err != nil {
		return contract.Movie{}, err
	}
	movies := []contract.Movie{m}
	if err := loadGenres(ctx, q, movies); err != nil {
		return contract.Movie{}, err
	}
	return movies[0], nil
}

// loadGenres fills in the genres of movies, in their stored order.
func loadGenres(ctx context.Context, q querier, movies []contract.Movie) error {
	if len(movies) == 0 {
		return nil
	}
	index := make(map[int64]int, len(movies))
	args := make([]any, len(movies))
	for i := range movies {
		movies[i].Genre = []contract.Genre{}
		index[movies[i].ID] = i
		args[i] = movies[i].ID
	}
	// Sorted here, not by ORDER BY: the primary key is (movie_id, genre_id),
	// so the database would sort the page's links in a filesort.
	rows, err := q.QueryContext(ctx, `SELECT mg.movie_id, mg.position, g.name FROM movie_genres mg
		JOIN genres g ON g.id = mg.genre_id
		WHERE mg.movie_id IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type link struct {
		movie    int
		position int
		name     string
	}
	var links []link
	for rows.Next() {
		var (
			id int64
			l  link
		)
		if err := rows.Scan(&id, &l.position, &l.name); err != nil {
			return err
		}
		l.movie = index[id]
		links = append(links, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(links, func(a, b link) int {
		return cmp.Or(cmp.Compare(a.movie, b.movie), cmp.Compare(a.position, b.position))
	})
	for _, l := range links {
		movies[l.movie].Genre = append(movies[l.movie].Genre, contract.Genre{Name: l.name})
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Create stores a new movie and its change-feed row. It trims expired
// Idempotency-Keys too, so they go even when keyed creates stop.
func (s *SQL) Create(ctx context.Context, m contract.Movie, actor string) (contract.Movie, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.trimIdempotencyKeys(ctx, tx, s.now()); err != nil {
			return err
		}
		var err error
		m, err = s.insert(ctx, tx, m, genreIDs{}, actor)
		return err
	})
	if err != nil {
		return contract.Movie{}, err
	}
	return m, nil
}

func (s *SQL) insert(ctx context.Context, tx *sql.Tx, m contract.Movie, ids genreIDs, actor string) (contract.Movie, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO movies
		(name, name_key, director, director_key, popularity, imdb_score) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Name, catalog.FoldKey(m.Name), m.Director, catalog.FoldKey(m.Director), float64(m.Popularity), float64(m.IMDBScore))
	if err != nil {
		return contract.Movie{}, err
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return contract.Movie{}, err
	}
	m.Version = 1 // the column's default
	if err := AddMovies(ctx, tx, 1); err != nil {
		return contract.Movie{}, err
	}
	if m.Genre, err = s.setGenres(ctx, tx, m, ids); err != nil {
		return contract.Movie{}, err
	}
	return m, s.writeChange(ctx, tx, m.ID, &m, actor)
}

// Update replaces a movie with change(current), raises its version and
// writes its change-feed row. The row is read locked (and every write holds
// the writer lock, inTx), so ifMatch is compared with the version this
// update replaces: no other write can come between.
func (s *SQL) Update(ctx context.Context, id int64, ifMatch contract.IfMatch, change func(contract.Movie) (contract.Movie, error), actor string) (contract.Movie, error) {
	var m contract.Movie
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := getMovie(ctx, tx, id, s.d.lockRow)
		if err != nil {
			return err
		}
		if !ifMatch.Matches(cur.ETag()) {
			return catalog.ErrPreconditionFailed
		}
		if m, err = change(cur); err != nil {
			return err
		}
		m.ID, m.Version = id, cur.Version+1
		if _, err := tx.ExecContext(ctx, `UPDATE movies SET name = ?, name_key = ?, director = ?, director_key = ?,
			popularity = ?, imdb_score = ?, version = ? WHERE id = ?`,
			m.Name, catalog.FoldKey(m.Name), m.Director, catalog.FoldKey(m.Director),
			float64(m.Popularity), float64(m.IMDBScore), m.Version, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM movie_genres WHERE movie_id = ?", id); err != nil {
			return err
		}
		// The links carry the movie's sort keys: rewritten with it.
		if m.Genre, err = s.setGenres(ctx, tx, m, genreIDs{}); err != nil {
			return err
		}
		return s.writeChange(ctx, tx, id, &m, actor)
	})
	if err != nil {
		return contract.Movie{}, err
	}
	return m, nil
}

// Delete removes a movie and writes its tombstone. A condition is checked
// against the version read locked in the delete's transaction.
func (s *SQL) Delete(ctx context.Context, id int64, ifMatch contract.IfMatch, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if ifMatch.Present() {
			var version int64
			err := tx.QueryRowContext(ctx, "SELECT version FROM movies WHERE id = ?"+s.d.lockRow, id).Scan(&version)
			if errors.Is(err, sql.ErrNoRows) {
				return catalog.ErrNotFound
			}
			if err != nil {
				return err
			}
			if !ifMatch.Matches(contract.MovieETag(id, version)) {
				return catalog.ErrPreconditionFailed
			}
		}
		// Deleting the links first keeps the delete independent of whether
		// the connection enforces the foreign key's cascade.
		if _, err := tx.ExecContext(ctx, "DELETE FROM movie_genres WHERE movie_id = ?", id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM movies WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return catalog.ErrNotFound
		}
		if err := AddMovies(ctx, tx, -1); err != nil {
			return err
		}
		return s.writeChange(ctx, tx, id, nil, actor)
	})
}

// genreIDs caches genre rows by key within one transaction.
type genreIDs map[string]genreRow

type genreRow struct {
	id   int64
	name string
}

// setGenres links movie m to its genres in order, creating the genres that
// do not exist yet, and returns them as stored: a genre keeps the spelling it
// was first created with. Each link carries m's popularity and imdb_score,
// the keys a genre's pages are ordered by (migration 00003).
func (s *SQL) setGenres(ctx context.Context, tx *sql.Tx, m contract.Movie, cache genreIDs) ([]contract.Genre, error) {
	out := make([]contract.Genre, 0, len(m.Genre))
	linked := map[string]bool{}
	for _, g := range m.Genre {
		key := catalog.FoldKey(g.Name)
		if linked[key] { // validated input has no duplicates; stay safe anyway
			continue
		}
		linked[key] = true
		row, ok := cache[key]
		if !ok {
			var err error
			if row.id, row.name, err = FindOrCreateGenre(ctx, tx, s.driver, g.Name); err != nil {
				return nil, err
			}
			cache[key] = row
		}
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO movie_genres (movie_id, genre_id, position, popularity, imdb_score) VALUES (?, ?, ?, ?, ?)",
			m.ID, row.id, len(out), float64(m.Popularity), float64(m.IMDBScore)); err != nil {
			return nil, err
		}
		out = append(out, contract.Genre{Name: row.name})
	}
	return out, nil
}

// writeChange appends a change-feed row in tx: an upsert carrying m, or a
// tombstone when m is nil.
func (s *SQL) writeChange(ctx context.Context, tx *sql.Tx, movieID int64, m *contract.Movie, actor string) error {
	op, payload := contract.OpDelete, sql.NullString{}
	if m != nil {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		op, payload = contract.OpUpsert, sql.NullString{String: string(b), Valid: true}
	}
	_, err := tx.ExecContext(ctx,
		"INSERT INTO movie_changes (movie_id, op, payload, actor, created_at, traceparent) VALUES (?, ?, ?, ?, ?, ?)",
		movieID, string(op), payload, actor, s.now(), traceParent(ctx))
	return err
}

// traceParent is the W3C traceparent of ctx's span, NULL outside a trace.
func traceParent(ctx context.Context) sql.NullString {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return sql.NullString{}
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	v := carrier.Get("traceparent")
	return sql.NullString{String: v, Valid: v != ""}
}

// Import stores the movies of batch not present yet, in order, in one
// transaction.
func (s *SQL) Import(ctx context.Context, batch []contract.Movie, actor string) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		ids := genreIDs{}
		for _, m := range batch {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM movies WHERE name_key = ? AND director_key = ? LIMIT 1",
				catalog.FoldKey(m.Name), catalog.FoldKey(m.Director)).Scan(&one)
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := s.insert(ctx, tx, m, ids, actor); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// Changes returns up to limit change-feed rows after seq after, in order,
// from one database (see ReadFrom on reading the feed from a replica).
func (s *SQL) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	var p contract.ChangePage
	err := s.reads.Read(ctx, func(db *sql.DB) error {
		var err error
		p, err = changes(ctx, db, after, limit)
		return err
	})
	return p, err
}

func changes(ctx context.Context, db querier, after int64, limit int) (contract.ChangePage, error) {
	p := contract.ChangePage{Changes: []contract.Change{}, Last: after}
	// Head is read before the page; the page may still hold rows committed
	// in between, so Head is raised to cover them below.
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM movie_changes").Scan(&p.Head); err != nil {
		return p, err
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, movie_id, op, payload, actor, created_at, traceparent
		FROM movie_changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	var bare []int
	for rows.Next() {
		var (
			c       contract.Change
			op      string
			payload sql.NullString
			parent  sql.NullString
		)
		if err := rows.Scan(&c.Seq, &c.MovieID, &op, &payload, &c.Actor, &c.At, &parent); err != nil {
			return p, err
		}
		c.TraceParent = parent.String
		c.Op = contract.ChangeOp(op)
		c.At = c.At.UTC()
		if payload.Valid {
			c.Movie = new(contract.Movie)
			if err := json.Unmarshal([]byte(payload.String), c.Movie); err != nil {
				return p, fmt.Errorf("change %d: %w", c.Seq, err)
			}
		} else if c.Op == contract.OpUpsert {
			bare = append(bare, len(p.Changes))
		}
		p.Changes = append(p.Changes, c)
		p.Last = c.Seq
		p.Head = max(p.Head, c.Seq)
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	rows.Close()
	return p, fillBareUpserts(ctx, db, p.Changes, bare)
}

// fillBareUpserts gives the upserts at indexes bare of changes, written
// without a payload (by the bulk loader, to keep its feed rows small), the
// movie as it is now, read right after the page. A movie changed
// since carries its later values early, which a follower would apply with
// the later row anyway; one deleted since is served without a movie, which
// followers read as a delete, as the later tombstone says.
func fillBareUpserts(ctx context.Context, db querier, changes []contract.Change, bare []int) error {
	if len(bare) == 0 {
		return nil
	}
	args := make([]any, len(bare))
	for i, at := range bare {
		args[i] = changes[at].MovieID
	}
	rows, err := db.QueryContext(ctx, "SELECT id, name, director, popularity, imdb_score FROM movies WHERE id IN ("+
		placeholders(len(args))+")", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var movies []contract.Movie
	for rows.Next() {
		var m contract.Movie
		if err := rows.Scan(&m.ID, &m.Name, &m.Director, &m.Popularity, &m.IMDBScore); err != nil {
			return err
		}
		movies = append(movies, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := loadGenres(ctx, db, movies); err != nil {
		return err
	}
	byID := make(map[int64]*contract.Movie, len(movies))
	for i := range movies {
		byID[movies[i].ID] = &movies[i]
	}
	for _, at := range bare {
		if m, ok := byID[changes[at].MovieID]; ok {
			cp := *m
			changes[at].Movie = &cp
		}
	}
	return nil
}
