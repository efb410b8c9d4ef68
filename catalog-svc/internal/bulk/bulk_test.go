package bulk_test

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/internal/bulk"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

var testGenres = []string{"Drama", "Comedy", "Sci-Fi", "Film-Noir", "Western", "Horror"}

// movies makes n movies whose names exercise quoting: quotes, backslashes,
// newlines and non-ASCII letters must come back as written.
func movies(n int) iter.Seq[contract.Movie] {
	odd := []string{`O'Brien's "Quote"`, `back\slash \' \\`, `semi;colon |pipe \N null-ish`, "Ça Été Ünïcode 映画", "percent %_!"}
	return func(yield func(contract.Movie) bool) {
		for i := range n {
			m := contract.Movie{
				ID:         int64(1_000_000 + i), // ignored by Load
				Name:       fmt.Sprintf("Movie %d %s", i, odd[i%len(odd)]),
				Director:   fmt.Sprintf("Director %d", i%97),
				Popularity: contract.Float(float64(i%1000) / 10),
				IMDBScore:  contract.Float(float64(i%100) / 10),
			}
			for k := range i%5 + 1 {
				m.Genre = append(m.Genre, contract.Genre{Name: testGenres[(i+k)%len(testGenres)]})
			}
			if i%7 == 0 { // duplicate spellings merge, as in an API write
				m.Genre = append(m.Genre, contract.Genre{Name: " " + m.Genre[0].Name})
			}
			if !yield(m) {
				return
			}
		}
	}
}

func TestLoadIsReadBackByTheStore(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		for _, insert := range []bool{false, true} {
			name := string(b.Driver) + "/" + map[bool]string{false: "default", true: "insert"}[insert]
			if insert && b.Driver == sqldb.SQLite {
				continue // SQLite always inserts
			}
			t.Run(name, func(t *testing.T) { loadAndReadBack(t, b, insert) })
		}
	}
}

func loadAndReadBack(t *testing.T, b sqltest.Backend, insert bool) {
	const n = 20_000
	ctx := context.Background()
	db := sqltest.Open(t, b)
	if err := store.Migrate(ctx, db, b.Driver); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, b.Driver)
	if err != nil {
		t.Fatal(err)
	}
	// A movie already there (with a genre spelled differently): the
	// load continues after it and reuses its genre row.
	first, err := s.Create(ctx, contract.Movie{Name: "Already", Popularity: 1, IMDBScore: 1,
		Genre: []contract.Genre{{Name: "drama"}}}, "admin")
	if err != nil {
		t.Fatal(err)
	}

	res, err := bulk.Load(ctx, db, b.Driver, bulk.Movies(movies(n)),
		bulk.Options{BatchMovies: 1000, TxMovies: 4000, Insert: insert}) // the last batch ends a transaction
	if err != nil {
		t.Fatal(err)
	}
	// The test servers run with local_infile on (MariaDB's default).
	if want := map[bool]string{true: bulk.MethodInsert, false: bulk.MethodLoadData}[insert || b.Driver == sqldb.SQLite]; res.Method != want {
		t.Fatalf("loaded with %q, want %q", res.Method, want)
	}
	if res.Movies != n || res.FirstID != first.ID+1 || res.LastID != first.ID+n {
		t.Fatalf("result %+v, want %d movies from id %d", res, n, first.ID+1)
	}
	if c, _ := s.Count(ctx); c != n+1 {
		t.Fatalf("count %d, want %d", c, n+1)
	}

	want := map[int64]contract.Movie{}
	i := int64(0)
	for m := range movies(n) {
		v, err := catalog.ValidateNew(contract.MovieWrite{Name: &m.Name, Director: &m.Director,
			Popularity: ptr(float64(m.Popularity)), IMDBScore: ptr(float64(m.IMDBScore)), Genre: &m.Genre})
		if err != nil {
			t.Fatal(err)
		}
		v.ID = res.FirstID + i
		for k, g := range v.Genre {
			if catalog.FoldKey(g.Name) == "drama" {
				v.Genre[k].Name = "drama" // the first spelling stays
			}
		}
		v.Version = 1 // as created
		want[v.ID] = v
		i++
	}
	for _, id := range []int64{res.FirstID, res.FirstID + 1, res.FirstID + 2, res.FirstID + 3, res.FirstID + 4, res.FirstID + 7, res.LastID} {
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %d: %v", id, err)
		}
		if !reflect.DeepEqual(got, want[id]) {
			t.Fatalf("movie %d read back as\n%+v\nwant\n%+v", id, got, want[id])
		}
	}

	// One upsert per movie in the feed, after the earlier create,
	// in id order, carrying the movie as the API shows it.
	seen, after := 0, int64(1)
	for {
		p, err := s.Changes(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Changes {
			if c.Op != contract.OpUpsert || c.Actor != bulk.Actor || c.Movie == nil ||
				c.MovieID != res.FirstID+int64(seen) || c.At.IsZero() {
				t.Fatalf("change %+v", c)
			}
			// The feed's payload carries no version (that is the ETag's).
			if w := want[c.MovieID]; seen%997 == 0 && !reflect.DeepEqual(*c.Movie, contract.Movie{ID: w.ID, Name: w.Name,
				Director: w.Director, Popularity: w.Popularity, IMDBScore: w.IMDBScore, Genre: w.Genre}) {
				t.Fatalf("feed payload %+v, want %+v", *c.Movie, want[c.MovieID])
			}
			seen++
		}
		if len(p.Changes) == 0 {
			break
		}
		after = p.Last
	}
	if seen != n {
		t.Fatalf("feed has %d loaded changes, want %d", seen, n)
	}

	// Filters see the links: genre, director, ordering.
	page, err := s.List(ctx, contract.ListQuery{Genres: []string{"film-noir"}, Director: "director 5",
		Ordering: []contract.Order{{Field: contract.FieldPopularity, Desc: true}, {Field: contract.FieldID}}, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Movies) == 0 {
		t.Fatal("genre + director filter found nothing")
	}
	for _, m := range page.Movies {
		if m.Director != "Director 5" || !reflect.DeepEqual(m, want[m.ID]) {
			t.Fatalf("listed %+v, want %+v", m, want[m.ID])
		}
	}

	// The API keeps working after a load: the next create takes the next id.
	next, err := s.Create(ctx, contract.Movie{Name: "After", Genre: []contract.Genre{}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if next.ID != res.LastID+1 {
		t.Fatalf("next id %d, want %d", next.ID, res.LastID+1)
	}

	// A loaded movie's feed row has no payload: it is served as the movie
	// is now, so after an update it shows the new values, and after a
	// delete none (its tombstone follows).
	if _, err := s.Update(ctx, res.FirstID, contract.IfMatch{}, func(m contract.Movie) (contract.Movie, error) { m.Name = "Renamed"; return m, nil }, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, res.FirstID+1, contract.IfMatch{}, "admin"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Changes(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Changes[0]; c.MovieID != res.FirstID || c.Movie == nil || c.Movie.Name != "Renamed" {
		t.Fatalf("upsert of an updated movie: %+v", c)
	}
	if c := p.Changes[1]; c.MovieID != res.FirstID+1 || c.Op != contract.OpUpsert || c.Movie != nil {
		t.Fatalf("upsert of a deleted movie: %+v", c)
	}
}

// An invalid movie stops the load: the transactions committed before it
// stay, in id order with no gap, and the rest is rolled back.
func TestLoadStopsAtAnInvalidMovie(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			db := sqltest.Open(t, b)
			if err := store.Migrate(ctx, db, b.Driver); err != nil {
				t.Fatal(err)
			}
			bad := func(yield func(contract.Movie, error) bool) {
				for m := range movies(2500) {
					if !yield(m, nil) {
						return
					}
				}
				yield(contract.Movie{Name: "", Popularity: 500}, nil)
			}
			res, err := bulk.Load(ctx, db, b.Driver, bad, bulk.Options{BatchMovies: 100, TxMovies: 1000})
			if err == nil {
				t.Fatal("an invalid movie was loaded")
			}
			want := 0
			if b.Driver == sqldb.MySQL {
				want = 2000 // two whole transactions of 1000
			}
			var n, changes, maxID, inOrder int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM movies").Scan(&n, &maxID); err != nil {
				t.Fatal(err)
			}
			// Into an empty MySQL catalog the feed is written after the
			// movies (bulk.writeFeed): a failed load must still write it for
			// every committed movie, seq i naming movie i.
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(seq = movie_id), 0) FROM movie_changes").Scan(&changes, &inOrder); err != nil {
				t.Fatal(err)
			}
			if n != want || maxID != want || changes != want || inOrder != want || res.Movies != int64(want) {
				t.Fatalf("%d movies (max id %d), %d changes (%d in order), result %+v; want %d of each", n, maxID, changes, inOrder, res, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestJSONLines(t *testing.T) {
	in := `{"id":1,"name":"A","director":"D","popularity":1.0,"imdb_score":2.5,"genre":[{"name":"Drama"}]}
{"name":"B","popularity":3,"imdb_score":4,"genre":["Comedy"]}
{"name":`
	var got []contract.Movie
	var last error
	for m, err := range bulk.JSONLines(strings.NewReader(in)) {
		if err != nil {
			last = err
			break
		}
		got = append(got, m)
	}
	want := []contract.Movie{
		{ID: 1, Name: "A", Director: "D", Popularity: 1, IMDBScore: 2.5, Genre: []contract.Genre{{Name: "Drama"}}},
		{Name: "B", Popularity: 3, IMDBScore: 4, Genre: []contract.Genre{{Name: "Comedy"}}},
	}
	if !reflect.DeepEqual(got, want) || last == nil {
		t.Fatalf("got %+v, error %v", got, last)
	}
}

// Into an empty catalog the loader drops the movies indexes and builds them
// again: the tables must come out exactly as the migrations made them (on
// SQLite, in whatever order sqlite_master lists them).
func TestLoadIntoAnEmptyCatalogRestoresTheSchema(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			db := sqltest.Open(t, b)
			if err := store.Migrate(ctx, db, b.Driver); err != nil {
				t.Fatal(err)
			}
			schema := func() string {
				if b.Driver != sqldb.MySQL {
					var sql string
					if err := db.QueryRowContext(ctx, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE tbl_name IN ('movies', 'movie_genres', 'movie_changes') ORDER BY sql)").Scan(&sql); err != nil {
						t.Fatal(err)
					}
					return sql
				}
				var all string
				for _, table := range []string{"movies", "movie_genres"} {
					var name, sql string
					if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+table).Scan(&name, &sql); err != nil {
						t.Fatal(err)
					}
					all += regexp.MustCompile(` AUTO_INCREMENT=\d+`).ReplaceAllString(sql, "") + "\n"
				}
				return all
			}
			before := schema()
			res, err := bulk.Load(ctx, db, b.Driver, bulk.Movies(movies(3000)), bulk.Options{BatchMovies: 500})
			if err != nil {
				t.Fatal(err)
			}
			if after := schema(); after != before {
				t.Fatalf("schema after the load:\n%s\nbefore:\n%s", after, before)
			}
			if res.FirstID != 1 || res.LastID != 3000 {
				t.Fatalf("ids %d..%d, want 1..3000", res.FirstID, res.LastID)
			}
		})
	}
}

func TestLongStatementsDSN(t *testing.T) {
	for in, want := range map[string]string{
		"root@tcp(127.0.0.1:3306)/movies":                 "root@tcp(127.0.0.1:3306)/movies?readTimeout=2h",
		"root@tcp(127.0.0.1:3306)/movies?parseTime=true":  "root@tcp(127.0.0.1:3306)/movies?parseTime=true&readTimeout=2h",
		"root@tcp(127.0.0.1:3306)/movies?readTimeout=10m": "root@tcp(127.0.0.1:3306)/movies?readTimeout=10m",
	} {
		if got := bulk.LongStatementsDSN(sqldb.MySQL, in); got != want {
			t.Errorf("LongStatementsDSN(%q) = %q, want %q", in, got, want)
		}
	}
	if got := bulk.LongStatementsDSN(sqldb.SQLite, "file:x.db"); got != "file:x.db" {
		t.Errorf("sqlite DSN changed to %q", got)
	}
}
