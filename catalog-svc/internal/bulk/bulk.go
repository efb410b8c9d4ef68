// Package bulk loads movies into the catalog's database at bulk speed: tens
// of thousands of movies a second on MySQL, where the importer's
// row-at-a-time path (with its "already there?" checks) manages a few
// hundred. It writes the catalog's tables directly, as the store would:
// movies with their folded keys, genres (created when new), movie_genres in
// order with the movies' sort keys, the movie counter, and one upsert row
// per movie in the change feed, so search-svc indexes every loaded movie.
//
// How it is fast: ids and feed sequence numbers are assigned here, not by
// AUTO_INCREMENT; on MySQL rows go as LOAD DATA LOCAL INFILE text streamed
// from memory (when the server has local_infile=ON; else, and on SQLite,
// as multi-row INSERTs written as literals), a few thousand per statement,
// in large transactions; the rows of the next batch are built while the
// database runs the current one; on MySQL several connections load at
// once, each transaction committing only after the one before it (so ids
// and feed sequence numbers become visible in order: a feed reader can
// never see row N+1 before row N); the session turns unique and
// foreign-key checks off (the loader itself guarantees what they check);
// feed rows carry no payload (the store serves such an upsert with the
// movie as it is: store.Changes). Into an empty MySQL catalog the movies
// table's secondary indexes and movie_genres' sort-key indexes are dropped
// for the load and built again at the end (see dropMovieIndexes).
//
// Loading holds the catalog's writer lock (the movie_changes_writer row the
// store serializes writes on) from start to end: API writes wait, and the
// change feed stays in commit order.
package bulk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// Actor is who the change feed says made bulk-loaded changes.
const Actor = "bulkload"

// Options tune a load; the zero value is a good default.
type Options struct {
	// BatchMovies is how many movies go into one statement (default 20,000
	// with LOAD DATA, 2000 with INSERT, whose statement must fit
	// max_allowed_packet).
	BatchMovies int
	// TxMovies is how many movies go into one transaction on MySQL
	// (default 200,000; < 0: the whole load in one). SQLite always loads in
	// one transaction, its writer lock.
	TxMovies int
	// Connections is how many connections load in parallel on MySQL
	// (default 3), each its own transactions, committed in id order so the
	// change feed never shows a later row before an earlier one. SQLite
	// always uses one.
	Connections int
	// Actor is recorded in the change feed (default Actor).
	Actor string
	// Insert writes rows as multi-row INSERT statements on MySQL even when
	// the server takes LOAD DATA LOCAL INFILE (local_infile=ON), the
	// default there. SQLite always uses INSERT.
	Insert bool
	// KeepIndexes keeps the movies table's secondary indexes during a
	// load into an empty MySQL catalog. By default they are dropped and
	// built again at the end, which is much faster; the catalog must not
	// serve reads meanwhile.
	KeepIndexes bool
	// Progress, when set, is called after every committed transaction with
	// the number of movies loaded so far.
	Progress func(loaded int64)
	// RequireEmpty makes the load fail with ErrNotEmpty, having written
	// nothing, when the catalog has movies once the writer lock is held:
	// for a caller whose meaning holds only in an empty catalog (the
	// importer, which must otherwise skip movies already there).
	RequireEmpty bool
}

// ErrNotEmpty is the error of a load with RequireEmpty into a catalog that
// has movies.
var ErrNotEmpty = errors.New("bulk: the catalog is not empty")

// How a load sent its rows (Result.Method).
const (
	MethodLoadData = "LOAD DATA LOCAL INFILE"
	MethodInsert   = "INSERT"
)

// Result says what a load did.
type Result struct {
	Method  string // MethodLoadData or MethodInsert
	Movies  int64
	FirstID int64 // ids FirstID..LastID were given to the movies, in order
	LastID  int64
	Elapsed time.Duration
	// IndexBuild and Analyze are the parts of Elapsed after the rows were
	// in: building the dropped indexes again, and refreshing statistics.
	IndexBuild, Analyze time.Duration
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
	if opt.TxMovies == 0 {
		opt.TxMovies = 200_000
	}
	if driver == sqldb.SQLite || opt.TxMovies < 0 {
		opt.TxMovies = 0
	}
	if opt.Actor == "" {
		opt.Actor = Actor
	}
	if opt.Connections <= 0 {
		// Three, not one per core: a connection waiting for its turn to
		// commit leaves the other two loading (docs/performance.md, *Bulk
		// load*).
		opt.Connections = 3
	}
	if driver == sqldb.SQLite || opt.TxMovies == 0 {
		opt.Connections = 1 // one transaction: one connection
	}

	l, err := newLoader(ctx, db, driver, opt)
	if err != nil {
		return Result{}, err
	}
	defer l.close()

	// Cancelling stops the builder and the executors when one side fails;
	// the transactions themselves live on ctx.
	loadCtx, stop := context.WithCancel(ctx)
	defer stop()
	queues := make([]chan job, len(l.execs))
	var wg sync.WaitGroup
	errs := make(chan error, len(l.execs)+1)
	// A connection's queue holds a whole transaction's batches and its
	// end: the builder, which fills the connections' transactions in turn,
	// can then start the next connection's while this one still loads,
	// instead of waiting on it with the next connection idle.
	depth := 4
	if l.opt.TxMovies > 0 {
		depth = max(depth, (l.opt.TxMovies+l.opt.BatchMovies-1)/l.opt.BatchMovies+1)
	}
	for i, e := range l.execs {
		queues[i] = make(chan job, depth)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.run(loadCtx, e, queues[i]); err != nil {
				errs <- err
				stop()
				l.turns.fail()
				for range queues[i] {
				}
			}
		}()
	}
	buildErr := l.build(loadCtx, src, func(j job) error {
		select {
		case queues[j.unit%len(queues)] <- j:
			return nil
		case <-loadCtx.Done():
			return loadCtx.Err()
		}
	})
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	close(errs)
	runErr := <-errs
	if runErr == nil && buildErr == nil {
		runErr = l.finish(ctx)
	}
	res := Result{Method: MethodInsert, Movies: l.loaded, Elapsed: time.Since(start), IndexBuild: l.indexBuild, Analyze: l.analyze}
	if _, ok := l.rows.(loadRows); ok {
		res.Method = MethodLoadData
	}
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
	loads  []tableLoad
	movies int
	// unit is the transaction the job belongs to; end closes it.
	unit  int
	end   bool
	genre *genreRequest
}

// tableLoad is one LOAD DATA of a batch's rows of t.
type tableLoad struct {
	t    table
	rows []byte
}

type genreRequest struct {
	name  string
	reply chan genreReply
}

type genreReply struct {
	id   int64
	name string
	err  error
}

type loader struct {
	driver sqldb.Driver
	opt    Options
	rows   rowFormat
	// loads numbers the LOAD DATA readers, whose names are process-wide.
	loads atomic.Int64
	execs []*executor
	// lock holds the writer row for the whole load on MySQL, on its own
	// connection, so the load can commit in several transactions.
	lock *sql.Tx
	// genres creates genres outside the load's transactions when several
	// connections load (they must all see a genre's id at once).
	genres *sql.Conn
	// dropped are the movies indexes to build again when the load ends.
	dropped []secondaryIndex
	// sqliteIndexes are the CREATE INDEX statements of the indexes a load
	// into an empty SQLite catalog dropped, run again before its commit.
	sqliteIndexes []string
	turns         turnstile

	firstID, firstSeq int64
	loaded            int64 // movies committed, in id order
	now               time.Time
	// indexBuild and analyze time finish's two steps (Result).
	indexBuild, analyze time.Duration
}

// executor is one load connection and its open transaction.
type executor struct {
	conn *sql.Conn
	tx   *sql.Tx
	inTx int64
}

func newLoader(ctx context.Context, db *sql.DB, driver sqldb.Driver, opt Options) (*loader, error) {
	l := &loader{driver: driver, opt: opt, now: time.Now().UTC()}
	l.turns.cond = sync.NewCond(&l.turns.mu)
	fail := func(err error) (*loader, error) {
		l.close()
		return nil, fmt.Errorf("bulk: %w", err)
	}
	for range opt.Connections {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		l.execs = append(l.execs, &executor{conn: conn})
		if driver == sqldb.MySQL {
			// The loader gives fresh ids in order and writes each movie
			// before its links: what these checks verify holds by
			// construction.
			if _, err := conn.ExecContext(ctx, "SET SESSION unique_checks = 0, foreign_key_checks = 0"); err != nil {
				return fail(err)
			}
		}
	}
	first := l.execs[0]
	sqlMode := ""
	if driver == sqldb.MySQL {
		if err := first.conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&sqlMode); err != nil {
			return fail(err)
		}
		var err error
		if l.lock, err = db.BeginTx(ctx, nil); err != nil {
			return fail(err)
		}
		if err := store.LockWriter(ctx, l.lock); err != nil {
			return fail(err)
		}
		if len(l.execs) > 1 {
			if l.genres, err = db.Conn(ctx); err != nil {
				return fail(err)
			}
		}
		if !opt.KeepIndexes {
			if l.dropped, err = dropMovieIndexes(ctx, first.conn); err != nil {
				return fail(err)
			}
		}
	}
	l.rows = sqlRows{lit: newLiterals(driver, sqlMode)}
	if driver == sqldb.MySQL && !opt.Insert {
		if ok, err := canLoadData(ctx, first.conn, sqlMode); err != nil {
			return fail(err)
		} else if ok {
			l.rows = loadRows{timeLayout: sqlDateTime}
		}
	}
	if l.opt.BatchMovies <= 0 {
		// LOAD DATA streams its rows (no packet limit) and costs a
		// round trip and a statement per table: fewer, larger batches.
		l.opt.BatchMovies = 2000
		if _, ok := l.rows.(loadRows); ok {
			l.opt.BatchMovies = 20_000
		}
	}
	if err := l.begin(ctx, first); err != nil {
		return fail(err)
	}
	// Read after taking the writer lock: no other write can move them now.
	if err := first.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM movies").Scan(&l.firstID); err != nil {
		return fail(err)
	}
	if opt.RequireEmpty {
		if empty, err := isEmpty(ctx, first.tx); err != nil {
			return fail(err)
		} else if !empty {
			l.close()
			return nil, ErrNotEmpty
		}
	}
	if driver == sqldb.SQLite && !opt.KeepIndexes {
		var err error
		if l.sqliteIndexes, err = dropSQLiteIndexes(ctx, first.tx); err != nil {
			return fail(err)
		}
		// The load's one transaction works on many more pages than the
		// default cache of 2 MiB holds; close restores the default.
		if _, err := first.tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			return fail(err)
		}
	}
	if err := first.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM movie_changes").Scan(&l.firstSeq); err != nil {
		return fail(err)
	}
	return l, nil
}

func (l *loader) begin(ctx context.Context, e *executor) error {
	var err error
	if e.tx, err = e.conn.BeginTx(ctx, nil); err != nil {
		return err
	}
	if l.lock == nil { // SQLite: the load's one transaction is the writer
		err = store.LockWriter(ctx, e.tx)
	}
	return err
}

// turnstile lets transaction units commit in order only.
type turnstile struct {
	mu     sync.Mutex
	cond   *sync.Cond
	next   int
	failed bool
}

// wait blocks until unit may commit; false when the load failed.
func (t *turnstile) wait(unit int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.next != unit && !t.failed {
		t.cond.Wait()
	}
	return !t.failed
}

func (t *turnstile) done() {
	t.mu.Lock()
	t.next++
	t.mu.Unlock()
	t.cond.Broadcast()
}

func (t *turnstile) fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	t.cond.Broadcast()
}

// commit commits e's unit when its turn comes.
func (l *loader) commit(e *executor, unit int) error {
	if !l.turns.wait(unit) {
		return context.Canceled
	}
	if e.tx != nil && l.sqliteIndexes != nil {
		began := time.Now()
		for _, create := range l.sqliteIndexes {
			if _, err := e.tx.ExecContext(context.Background(), create); err != nil {
				return fmt.Errorf("rebuild an index after the load: %w", err)
			}
		}
		l.sqliteIndexes, l.indexBuild = nil, time.Since(began)
	}
	if e.tx != nil {
		// The store's movie counter, in the transaction of the movies it
		// counts; committed in turn, so the connections never wait on it.
		if err := store.AddMovies(context.Background(), e.tx, e.inTx); err != nil {
			return err
		}
		if err := e.tx.Commit(); err != nil {
			return err
		}
		e.tx = nil
	}
	l.loaded += e.inTx // under the turnstile: one committer at a time
	e.inTx = 0
	if l.opt.Progress != nil {
		l.opt.Progress(l.loaded)
	}
	l.turns.done()
	return nil
}

// finish rebuilds what the load dropped, refreshes statistics and releases
// the writer lock.
func (l *loader) finish(ctx context.Context) error {
	conn := l.execs[0].conn
	if l.dropped != nil {
		began := time.Now()
		err := addIndexes(ctx, l.conns(), l.dropped)
		l.dropped, l.indexBuild = nil, time.Since(began)
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	if l.driver == sqldb.MySQL {
		// InnoDB refreshes its statistics in the background, some time after
		// a large change; until then the planner sees the tables as they were
		// (genres with 1 row, say) and picks scans and filesorts.
		began := time.Now()
		_, err := conn.ExecContext(ctx, "ANALYZE TABLE movies, genres, movie_genres, movie_changes")
		l.analyze = time.Since(began)
		if err != nil {
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
	for _, e := range l.execs {
		if e.tx != nil {
			_ = e.tx.Rollback()
		}
	}
	if l.lock != nil {
		_ = l.lock.Rollback()
	}
	if l.genres != nil {
		_ = l.genres.Close()
	}
	if l.dropped != nil { // a failed load: what did commit must stay indexed
		_ = addIndexes(context.Background(), l.conns(), l.dropped)
	}
	for _, e := range l.execs {
		if l.driver == sqldb.MySQL {
			// The connection goes back to the pool: restore its checks.
			_, _ = e.conn.ExecContext(context.Background(), "SET SESSION unique_checks = 1, foreign_key_checks = 1")
		} else {
			_, _ = e.conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000") // SQLite's default
		}
		_ = e.conn.Close()
	}
}

func (l *loader) conns() []*sql.Conn {
	out := make([]*sql.Conn, len(l.execs))
	for i, e := range l.execs {
		out[i] = e.conn
	}
	return out
}

// run executes, in order, the jobs given to executor e.
func (l *loader) run(ctx context.Context, e *executor, jobs <-chan job) error {
	for j := range jobs {
		if j.genre != nil {
			id, name, err := l.genre(ctx, e, j.genre.name)
			j.genre.reply <- genreReply{id: id, name: name, err: err}
			if err != nil {
				return fmt.Errorf("bulk: genre %q: %w", j.genre.name, err)
			}
			continue
		}
		if j.end {
			if err := l.commit(e, j.unit); err != nil {
				return fmt.Errorf("bulk: commit: %w", err)
			}
			continue
		}
		if e.tx == nil {
			if err := l.begin(ctx, e); err != nil {
				return fmt.Errorf("bulk: begin: %w", err)
			}
		}
		for _, s := range j.stmts {
			if _, err := e.tx.ExecContext(ctx, string(s)); err != nil {
				return fmt.Errorf("bulk: %d movies of transaction %d: %w", j.movies, j.unit, err)
			}
		}
		for _, ld := range j.loads {
			if err := l.loadData(ctx, e.tx, ld); err != nil {
				return fmt.Errorf("bulk: %d movies of transaction %d into %s: %w", j.movies, j.unit, ld.t.name, err)
			}
		}
		e.inTx += int64(j.movies)
	}
	return ctx.Err()
}

// genre returns the id and stored spelling of the genre named name, as the
// store finds or creates it. Under the load's writer lock no other writer
// creates it in between. With e nil it runs on the genres connection,
// committed at once and so seen by every loading connection.
func (l *loader) genre(ctx context.Context, e *executor, name string) (int64, string, error) {
	if e == nil {
		return store.FindOrCreateGenre(ctx, l.genres, l.driver, name)
	}
	if e.tx == nil {
		if err := l.begin(ctx, e); err != nil {
			return 0, "", err
		}
	}
	return store.FindOrCreateGenre(ctx, e.tx, l.driver, name)
}

// build turns src into batches of INSERT statements, asking the connection
// for genre rows as new genres turn up.
func (l *loader) build(ctx context.Context, src iter.Seq2[contract.Movie, error], send func(job) error) error {
	genres := map[string]genreReply{}
	b := newBatch(l, l.opt.BatchMovies)
	id, seq := l.firstID, l.firstSeq
	n := int64(0)
	unit, inUnit := 0, 0
	flush := func(last bool) error {
		if b.movies > 0 {
			j := b.job()
			j.unit = unit
			if err := send(j); err != nil {
				return err
			}
			inUnit += b.movies
			b = newBatch(l, l.opt.BatchMovies)
		}
		if last || l.opt.TxMovies > 0 && inUnit >= l.opt.TxMovies {
			if err := send(job{unit: unit, end: true}); err != nil {
				return err
			}
			unit, inUnit = unit+1, 0
		}
		return nil
	}
	genre := func(name string) (genreReply, error) {
		if l.genres != nil {
			id, name, err := l.genre(ctx, nil, name)
			return genreReply{id: id, name: name}, err
		}
		// One connection: the genre is created in its transaction.
		req := &genreRequest{name: name, reply: make(chan genreReply, 1)}
		if err := send(job{genre: req}); err != nil {
			return genreReply{}, err
		}
		select {
		case row := <-req.reply:
			return row, row.err
		case <-ctx.Done():
			return genreReply{}, ctx.Err()
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
				if row, err = genre(g.Name); err != nil {
					return fmt.Errorf("bulk: genre %q: %w", g.Name, err)
				}
				genres[key] = row
			}
			v.Genre[i] = contract.Genre{Name: row.name}
			b.link(id, row.id, i, v)
		}
		v.ID = id
		b.add(v, seq)
		id++
		seq++
		if b.movies == l.opt.BatchMovies {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	return flush(true)
}

func writeOf(m contract.Movie) contract.MovieWrite {
	pop, score, genres := float64(m.Popularity), float64(m.IMDBScore), m.Genre
	return contract.MovieWrite{Name: &m.Name, Director: &m.Director, Popularity: &pop, IMDBScore: &score, Genre: &genres}
}

// batch accumulates the rows of a batch of movies for its three tables.
type batch struct {
	l                     *loader
	f                     rowFormat
	movies                int
	moviesSQL, links, log []byte
	nlinks                int
}

func newBatch(l *loader, size int) *batch {
	grow := func(b []byte, n int) []byte { return append(make([]byte, 0, len(b)+n), b...) }
	return &batch{
		l:         l,
		f:         l.rows,
		moviesSQL: grow(l.rows.begin(moviesTable), size*160),
		links:     grow(l.rows.begin(linksTable), size*80),
		log:       grow(l.rows.begin(feedTable), size*64),
	}
}

// link adds a movie_genres row, with the movie's sort keys as the store
// writes them (migration 00003).
func (b *batch) link(movieID, genreID int64, position int, m contract.Movie) {
	f := b.f
	s := f.row(b.links, b.nlinks == 0)
	b.nlinks++
	s = appendInt(s, movieID)
	s = f.field(s)
	s = appendInt(s, genreID)
	s = f.field(s)
	s = appendInt(s, int64(position))
	s = f.field(s)
	s = appendFloat(s, float64(m.Popularity))
	s = f.field(s)
	s = appendFloat(s, float64(m.IMDBScore))
	b.links = f.end(s)
}

func (b *batch) add(m contract.Movie, seq int64) {
	f := b.f
	first := b.movies == 0
	b.movies++
	s := f.row(b.moviesSQL, first)
	s = appendInt(s, m.ID)
	s = f.field(s)
	s = f.str(s, m.Name)
	s = f.field(s)
	s = f.str(s, catalog.FoldKey(m.Name))
	s = f.field(s)
	s = f.str(s, m.Director)
	s = f.field(s)
	s = f.str(s, catalog.FoldKey(m.Director))
	s = f.field(s)
	s = appendFloat(s, float64(m.Popularity))
	s = f.field(s)
	s = appendFloat(s, float64(m.IMDBScore))
	b.moviesSQL = f.end(s)

	// No payload: the store serves a payload-less upsert with the movie as
	// it is (store.Changes), so the feed row is ~60 bytes, not ~300.
	c := f.row(b.log, first)
	c = appendInt(c, seq)
	c = f.field(c)
	c = appendInt(c, m.ID)
	c = f.field(c)
	c = f.str(c, string(contract.OpUpsert))
	c = f.field(c)
	c = f.null(c)
	c = f.field(c)
	c = f.str(c, b.l.opt.Actor)
	c = f.field(c)
	c = f.time(c, b.l.now)
	b.log = f.end(c)
}

func (b *batch) job() job {
	j := job{movies: b.movies}
	parts := []struct {
		t    table
		rows []byte
	}{{moviesTable, b.moviesSQL}, {linksTable, b.links}, {feedTable, b.log}}
	for _, p := range parts {
		if p.t == linksTable && b.nlinks == 0 { // a batch whose movies have no genres has no links
			continue
		}
		if _, ok := b.f.(loadRows); ok {
			j.loads = append(j.loads, tableLoad{t: p.t, rows: p.rows})
		} else {
			j.stmts = append(j.stmts, p.rows)
		}
	}
	return j
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
