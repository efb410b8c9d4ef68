// Package bulk loads movies into the catalog's database at bulk speed: tens
// of thousands of movies a second on MySQL, where the importer's
// row-at-a-time path (with its "already there?" checks) manages a few
// hundred. It writes the catalog's tables directly, as the store would:
// movies with their folded keys, genres (created when new), movie_genres in
// order, and one upsert row per movie in the change feed, so search-svc
// indexes every loaded movie.
//
// How it is fast: ids and feed sequence numbers are assigned here, not by
// AUTO_INCREMENT; rows go in multi-row INSERTs written as literals, a few
// thousand per statement, in large transactions; the SQL of the next batch
// is built while the database runs the current one; on MySQL the session
// turns unique and foreign-key checks off (the loader itself guarantees
// what they check). Into an empty MySQL catalog the movies table's four
// secondary indexes are dropped for the load and built again at the end
// (see dropMovieIndexes).
//
// Loading holds the catalog's writer lock (the movie_changes_writer row the
// store serializes writes on) from start to end: API writes wait, and the
// change feed stays in commit order.
package bulk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// Actor is who the change feed says made bulk-loaded changes.
const Actor = "bulkload"

// Options tune a load; the zero value is a good default.
type Options struct {
	// BatchMovies is how many movies go into one INSERT statement
	// (default 2000; the statement must fit max_allowed_packet).
	BatchMovies int
	// TxMovies is how many movies go into one transaction on MySQL
	// (default 200,000; < 0: the whole load in one). SQLite always loads in
	// one transaction, its writer lock.
	TxMovies int
	// Actor is recorded in the change feed (default Actor).
	Actor string
	// KeepIndexes keeps the movies table's secondary indexes during a
	// load into an empty MySQL catalog. By default they are dropped and
	// built again at the end, which is much faster; the catalog must not
	// serve reads meanwhile.
	KeepIndexes bool
	// Progress, when set, is called after every committed transaction with
	// the number of movies loaded so far.
	Progress func(loaded int64)
}

// Result says what a load did.
type Result struct {
	Movies  int64
	FirstID int64 // ids FirstID..LastID were given to the movies, in order
	LastID  int64
	Elapsed time.Duration
}

// Rate is movies per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Movies) / r.Elapsed.Seconds()
}

// Movies adapts a stream that cannot fail to Load's source.
func Movies(seq iter.Seq[contract.Movie]) iter.Seq2[contract.Movie, error] {
	return func(yield func(contract.Movie, error) bool) {
		for m := range seq {
			if !yield(m, nil) {
				return
			}
		}
	}
}

// Load appends the movies of src to the catalog in db, whose schema
// store.Migrate has set up. Their ids in src are ignored: they get the ids
// after the largest in the catalog, in stream order. Every movie is
// validated like an API write first; an invalid one stops the load (what
// was committed before it stays).
func Load(ctx context.Context, db *sql.DB, driver sqldb.Driver, src iter.Seq2[contract.Movie, error], opt Options) (Result, error) {
	start := time.Now()
	if opt.BatchMovies <= 0 {
		opt.BatchMovies = 2000
	}
	if opt.TxMovies == 0 {
		opt.TxMovies = 200_000
	}
	if driver == sqldb.SQLite || opt.TxMovies < 0 {
		opt.TxMovies = 0
	}
	if opt.Actor == "" {
		opt.Actor = Actor
	}

	l, err := newLoader(ctx, db, driver, opt)
	if err != nil {
		return Result{}, err
	}
	defer l.close()

	jobs := make(chan job, 4)
	// Cancelling stops the builder when the database side fails; the
	// transactions themselves live on ctx, so they outlive it.
	buildCtx, stopBuild := context.WithCancel(ctx)
	defer stopBuild()
	built := make(chan error, 1)
	go func() {
		defer close(jobs)
		built <- l.build(buildCtx, src, jobs)
	}()
	runErr := l.run(ctx, jobs)
	if runErr != nil {
		stopBuild()
		for range jobs {
		}
	}
	buildErr := <-built
	if runErr == nil && buildErr == nil {
		runErr = l.finish(ctx)
	}
	res := Result{Movies: l.loaded, Elapsed: time.Since(start)}
	if l.loaded > 0 {
		res.FirstID, res.LastID = l.firstID, l.firstID+l.loaded-1
	}
	if buildErr != nil && !errors.Is(buildErr, context.Canceled) {
		return res, buildErr
	}
	return res, runErr
}

// job is one step for the database connection: run the statements of a
// batch of movies, or look up (creating if needed) a genre the builder has
// not seen yet.
type job struct {
	stmts  [][]byte
	movies int
	genre  *genreRequest
}

type genreRequest struct {
	name, key string
	reply     chan genreReply
}

type genreReply struct {
	id   int64
	name string
	err  error
}

type loader struct {
	driver sqldb.Driver
	opt    Options
	lit    literals
	conn   *sql.Conn
	tx     *sql.Tx
	// lock holds the writer row for the whole load on MySQL, on its own
	// connection, so the load can commit in several transactions.
	lock *sql.Tx
	// dropped are the movies indexes to build again when the load ends.
	dropped []secondaryIndex

	firstID, firstSeq int64
	loaded, inTx      int64
	now               time.Time
}

func newLoader(ctx context.Context, db *sql.DB, driver sqldb.Driver, opt Options) (*loader, error) {
	l := &loader{driver: driver, opt: opt, now: time.Now().UTC()}
	var err error
	if l.conn, err = db.Conn(ctx); err != nil {
		return nil, err
	}
	fail := func(err error) (*loader, error) {
		l.close()
		return nil, fmt.Errorf("bulk: %w", err)
	}
	sqlMode := ""
	if driver == sqldb.MySQL {
		if err := l.conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&sqlMode); err != nil {
			return fail(err)
		}
		// The loader gives fresh ids in order and writes each movie before
		// its links: what these checks verify holds by construction.
		if _, err := l.conn.ExecContext(ctx, "SET SESSION unique_checks = 0, foreign_key_checks = 0"); err != nil {
			return fail(err)
		}
		if l.lock, err = db.BeginTx(ctx, nil); err != nil {
			return fail(err)
		}
		if _, err := l.lock.ExecContext(ctx, lockWriter); err != nil {
			return fail(err)
		}
		if !opt.KeepIndexes {
			if l.dropped, err = dropMovieIndexes(ctx, l.conn); err != nil {
				return fail(err)
			}
		}
	}
	l.lit = newLiterals(driver, sqlMode)
	if err := l.begin(ctx); err != nil {
		return fail(err)
	}
	// Read after taking the writer lock: no other write can move them now.
	if err := l.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM movies").Scan(&l.firstID); err != nil {
		return fail(err)
	}
	if err := l.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM movie_changes").Scan(&l.firstSeq); err != nil {
		return fail(err)
	}
	return l, nil
}

// lockWriter is the store's serialization point (see store.inTx).
const lockWriter = "UPDATE movie_changes_writer SET changes = changes + 1 WHERE id = 1"

func (l *loader) begin(ctx context.Context) error {
	var err error
	if l.tx, err = l.conn.BeginTx(ctx, nil); err != nil {
		return err
	}
	if l.lock == nil { // SQLite: the load's one transaction is the writer
		_, err = l.tx.ExecContext(ctx, lockWriter)
	}
	return err
}

func (l *loader) commit(ctx context.Context) error {
	if err := l.tx.Commit(); err != nil {
		return err
	}
	l.tx = nil
	l.loaded += l.inTx
	l.inTx = 0
	if l.opt.Progress != nil {
		l.opt.Progress(l.loaded)
	}
	return nil
}

// finish commits the last transaction and releases the writer lock.
func (l *loader) finish(ctx context.Context) error {
	if l.tx != nil {
		if err := l.commit(ctx); err != nil {
			return fmt.Errorf("bulk: commit: %w", err)
		}
	}
	if l.dropped != nil {
		err := addIndexes(ctx, l.conn, l.dropped)
		l.dropped = nil
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	if l.driver == sqldb.MySQL {
		// InnoDB refreshes its statistics in the background, some time after
		// a large change; until then the planner sees the tables as they were
		// (genres with 1 row, say) and picks scans and filesorts.
		if _, err := l.conn.ExecContext(ctx, "ANALYZE TABLE movies, genres, movie_genres, movie_changes"); err != nil {
			return fmt.Errorf("bulk: analyze: %w", err)
		}
	}
	if l.lock != nil {
		err := l.lock.Commit()
		l.lock = nil
		return err
	}
	return nil
}

func (l *loader) close() {
	if l.tx != nil {
		_ = l.tx.Rollback()
	}
	if l.lock != nil {
		_ = l.lock.Rollback()
	}
	if l.conn != nil {
		if l.dropped != nil { // a failed load: what did commit must stay indexed
			_ = addIndexes(context.Background(), l.conn, l.dropped)
		}
		if l.driver == sqldb.MySQL {
			// The connection goes back to the pool: restore its checks.
			_, _ = l.conn.ExecContext(context.Background(), "SET SESSION unique_checks = 1, foreign_key_checks = 1")
		}
		_ = l.conn.Close()
	}
}

// run executes the jobs in order on the load's connection.
func (l *loader) run(ctx context.Context, jobs <-chan job) error {
	for j := range jobs {
		if j.genre != nil {
			id, name, err := l.genre(ctx, j.genre.name, j.genre.key)
			j.genre.reply <- genreReply{id: id, name: name, err: err}
			if err != nil {
				return fmt.Errorf("bulk: genre %q: %w", j.genre.name, err)
			}
			continue
		}
		if l.tx == nil {
			if err := l.begin(ctx); err != nil {
				return fmt.Errorf("bulk: begin: %w", err)
			}
		}
		for _, s := range j.stmts {
			if _, err := l.tx.ExecContext(ctx, string(s)); err != nil {
				return fmt.Errorf("bulk: movies %d to %d: %w", l.firstID+l.loaded+l.inTx,
					l.firstID+l.loaded+l.inTx+int64(j.movies)-1, err)
			}
		}
		l.inTx += int64(j.movies)
		if l.opt.TxMovies > 0 && l.inTx >= int64(l.opt.TxMovies) {
			if err := l.commit(ctx); err != nil {
				return fmt.Errorf("bulk: commit: %w", err)
			}
		}
	}
	return ctx.Err()
}

// genre returns the row of the genre with key, creating it; a genre keeps
// the spelling it was first created with, as in the store. It looks before
// inserting rather than relying on INSERT IGNORE: with unique_checks off,
// InnoDB may not check the unique key. The writer lock held by the load
// keeps any other writer from creating the genre in between.
func (l *loader) genre(ctx context.Context, name, key string) (int64, string, error) {
	if l.tx == nil {
		if err := l.begin(ctx); err != nil {
			return 0, "", err
		}
	}
	var id int64
	find := func() error {
		return l.tx.QueryRowContext(ctx, "SELECT id, name FROM genres WHERE name_key = ?", key).Scan(&id, &name)
	}
	err := find()
	if !errors.Is(err, sql.ErrNoRows) {
		return id, name, err
	}
	if _, err := l.tx.ExecContext(ctx, "INSERT INTO genres (name, name_key) VALUES (?, ?)", name, key); err != nil {
		return 0, "", err
	}
	return id, name, find()
}

// build turns src into batches of INSERT statements, asking the connection
// for genre rows as new genres turn up.
func (l *loader) build(ctx context.Context, src iter.Seq2[contract.Movie, error], jobs chan<- job) error {
	genres := map[string]genreReply{}
	b := newBatch(l, l.opt.BatchMovies)
	id, seq := l.firstID, l.firstSeq
	n := int64(0)
	send := func(j job) error {
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for m, err := range src {
		n++
		if err != nil {
			return fmt.Errorf("bulk: movie %d of the stream: %w", n, err)
		}
		v, err := catalog.ValidateNew(writeOf(m))
		if err != nil {
			return fmt.Errorf("bulk: movie %d of the stream (%q): %w", n, m.Name, err)
		}
		for i, g := range v.Genre {
			key := catalog.FoldKey(g.Name)
			row, ok := genres[key]
			if !ok {
				req := &genreRequest{name: g.Name, key: key, reply: make(chan genreReply, 1)}
				if err := send(job{genre: req}); err != nil {
					return err
				}
				select {
				case row = <-req.reply:
				case <-ctx.Done():
					return ctx.Err()
				}
				if row.err != nil {
					return row.err
				}
				genres[key] = row
			}
			v.Genre[i] = contract.Genre{Name: row.name}
			b.link(id, row.id, i)
		}
		v.ID = id
		if err := b.add(v, seq); err != nil {
			return err
		}
		id++
		seq++
		if b.movies == l.opt.BatchMovies {
			if err := send(b.job()); err != nil {
				return err
			}
			b = newBatch(l, l.opt.BatchMovies)
		}
	}
	if b.movies > 0 {
		return send(b.job())
	}
	return nil
}

func writeOf(m contract.Movie) contract.MovieWrite {
	pop, score, genres := float64(m.Popularity), float64(m.IMDBScore), m.Genre
	return contract.MovieWrite{Name: &m.Name, Director: &m.Director, Popularity: &pop, IMDBScore: &score, Genre: &genres}
}

// batch accumulates the three INSERTs of a batch of movies.
type batch struct {
	l                     *loader
	movies                int
	moviesSQL, links, log []byte
}

func newBatch(l *loader, size int) *batch {
	return &batch{
		l:         l,
		moviesSQL: append(make([]byte, 0, size*160), "INSERT INTO movies (id, name, name_key, director, director_key, popularity, imdb_score) VALUES "...),
		links:     append(make([]byte, 0, size*48), "INSERT INTO movie_genres (movie_id, genre_id, position) VALUES "...),
		log:       append(make([]byte, 0, size*280), "INSERT INTO movie_changes (seq, movie_id, op, payload, actor, created_at) VALUES "...),
	}
}

func (b *batch) link(movieID, genreID int64, position int) {
	if b.links[len(b.links)-1] == ')' {
		b.links = append(b.links, ',')
	}
	b.links = append(b.links, '(')
	b.links = appendInt(b.links, movieID)
	b.links = append(b.links, ',')
	b.links = appendInt(b.links, genreID)
	b.links = append(b.links, ',')
	b.links = appendInt(b.links, int64(position))
	b.links = append(b.links, ')')
}

func (b *batch) add(m contract.Movie, seq int64) error {
	lit := b.l.lit
	if b.movies > 0 {
		b.moviesSQL = append(b.moviesSQL, ',')
		b.log = append(b.log, ',')
	}
	b.movies++
	s := append(b.moviesSQL, '(')
	s = appendInt(s, m.ID)
	s = append(s, ',')
	s = lit.appendString(s, m.Name)
	s = append(s, ',')
	s = lit.appendString(s, catalog.FoldKey(m.Name))
	s = append(s, ',')
	s = lit.appendString(s, m.Director)
	s = append(s, ',')
	s = lit.appendString(s, catalog.FoldKey(m.Director))
	s = append(s, ',')
	s = appendFloat(s, float64(m.Popularity))
	s = append(s, ',')
	s = appendFloat(s, float64(m.IMDBScore))
	b.moviesSQL = append(s, ')')

	// The payload is the movie as the API shows it, as the store writes it.
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c := append(b.log, '(')
	c = appendInt(c, seq)
	c = append(c, ',')
	c = appendInt(c, m.ID)
	c = append(c, ',')
	c = lit.appendString(c, string(contract.OpUpsert))
	c = append(c, ',')
	c = lit.appendString(c, string(payload))
	c = append(c, ',')
	c = lit.appendString(c, b.l.opt.Actor)
	c = append(c, ',')
	c = lit.appendTime(c, b.l.now)
	b.log = append(c, ')')
	return nil
}

func (b *batch) job() job {
	stmts := [][]byte{b.moviesSQL}
	if b.links[len(b.links)-1] == ')' { // a batch whose movies have no genres has no links
		stmts = append(stmts, b.links)
	}
	return job{stmts: append(stmts, b.log), movies: b.movies}
}

// LongStatementsDSN returns dsn with a read timeout long enough for the
// statements a load ends with (building indexes over millions of rows
// takes minutes), unless dsn sets one. The platform's default of 30s suits
// API queries, not those.
func LongStatementsDSN(driver sqldb.Driver, dsn string) string {
	if driver != sqldb.MySQL || strings.Contains(dsn, "readTimeout=") {
		return dsn
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&readTimeout=2h"
	}
	return dsn + "?readTimeout=2h"
}
