package catalogtest

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
)

// Catalog is an in-memory catalog.Service for other services' tests (the
// gateway's): it keeps the catalog's contract (errors, paging) as far as
// they need and records who called it. Cursors are offsets into the id
// order; searching is every term a case-insensitive substring of the name,
// as the catalog's SQL search.
type Catalog struct {
	mu     sync.Mutex
	movies map[int64]contract.Movie
	nextID int64
	// Actors records catalog.Actor of every write, in order.
	Actors []string
	// Reads counts List and Get calls.
	Reads atomic.Int64
	// ReadActors records catalog.Actor of every List and Get, in order.
	ReadActors []string
	// IdempotencyKeys records catalog.IdempotencyKey of every Create.
	IdempotencyKeys []string
}

func (c *Catalog) read(ctx context.Context) {
	c.Reads.Add(1)
	c.ReadActors = append(c.ReadActors, catalog.Actor(ctx))
}

// NewCatalog returns a catalog holding movies (ids assigned 1..n).
func NewCatalog(movies ...contract.Movie) *Catalog {
	c := &Catalog{movies: map[int64]contract.Movie{}, nextID: 1}
	for _, m := range movies {
		m.ID, m.Version = c.nextID, 1
		c.movies[m.ID] = m
		c.nextID++
	}
	return c
}

// Seed returns n movies named "Movie <i>", plus every third one named
// "Star <i>" so searches have something to find.
func Seed(n int) []contract.Movie {
	out := make([]contract.Movie, n)
	for i := range out {
		name := "Movie " + strconv.Itoa(i+1)
		if i%3 == 0 {
			name = "Star " + strconv.Itoa(i+1)
		}
		out[i] = contract.Movie{
			Name: name, Director: "Director " + strconv.Itoa(i%7), Popularity: contract.Float(i % 101),
			IMDBScore: contract.Float(float64(i%11) * 0.9), Genre: []contract.Genre{{Name: "Drama"}},
		}
	}
	return out
}

// All returns every movie, by id.
func (c *Catalog) All() []contract.Movie { return c.Matching("") }

// Matching returns the movies a search for text finds (every term a
// case-insensitive substring of the name), by id, without counting as a
// read.
func (c *Catalog) Matching(text string) []contract.Movie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.matching(contract.ListQuery{Search: text}.SearchTerms())
}

func (c *Catalog) matching(terms []string) []contract.Movie {
	var out []contract.Movie
	for _, id := range slices.Sorted(maps.Keys(c.movies)) {
		if m := c.movies[id]; matchesAll(m.Name, terms) {
			out = append(out, m)
		}
	}
	return out
}

func (c *Catalog) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read(ctx)
	matches := c.matching(q.SearchTerms())
	offset := 0
	if q.Cursor != "" {
		n, err := strconv.Atoi(q.Cursor)
		if err != nil || n < 0 || n > len(matches) {
			return contract.Page{}, catalog.ErrInvalidCursor
		}
		offset = n
	}
	size := q.PageSize
	if size <= 0 {
		size = contract.DefaultPageSize
	}
	end := min(offset+size, len(matches))
	total := int64(len(matches))
	page := contract.Page{Movies: slices.Clone(matches[offset:end]), Total: &total}
	if end < len(matches) {
		page.Next = strconv.Itoa(end)
	}
	if offset > 0 {
		page.Prev = strconv.Itoa(max(0, offset-size))
	}
	return page, nil
}

func matchesAll(name string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(strings.ToLower(name), strings.ToLower(t)) {
			return false
		}
	}
	return true
}

func (c *Catalog) Get(ctx context.Context, id int64) (contract.Movie, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read(ctx)
	m, ok := c.movies[id]
	if !ok {
		return contract.Movie{}, catalog.ErrNotFound
	}
	return m, nil
}

func (c *Catalog) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return contract.Movie{}, apierr.Validation(map[string][]string{"name": {apierr.MsgRequired}})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := apply(contract.Movie{ID: c.nextID, Genre: []contract.Genre{}, Version: 1}, in)
	c.movies[m.ID] = m
	c.nextID++
	c.Actors = append(c.Actors, catalog.Actor(ctx))
	c.IdempotencyKeys = append(c.IdempotencyKeys, catalog.IdempotencyKey(ctx))
	return m, nil
}

func (c *Catalog) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	if in.Name == nil {
		return contract.Movie{}, apierr.Validation(map[string][]string{"name": {apierr.MsgRequired}})
	}
	return c.update(ctx, id, func(contract.Movie) contract.Movie {
		return apply(contract.Movie{ID: id, Genre: []contract.Genre{}}, in)
	})
}

func (c *Catalog) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	return c.update(ctx, id, func(m contract.Movie) contract.Movie { return apply(m, p) })
}

func (c *Catalog) update(ctx context.Context, id int64, f func(contract.Movie) contract.Movie) (contract.Movie, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.movies[id]
	if !ok {
		return contract.Movie{}, catalog.ErrNotFound
	}
	if !catalog.IfMatch(ctx).Matches(cur.ETag()) {
		return contract.Movie{}, catalog.ErrPreconditionFailed
	}
	m := f(cur)
	m.Version = cur.Version + 1
	c.movies[id] = m
	c.Actors = append(c.Actors, catalog.Actor(ctx))
	return m, nil
}

func (c *Catalog) Delete(ctx context.Context, id int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.movies[id]
	if !ok {
		return catalog.ErrNotFound
	}
	if !catalog.IfMatch(ctx).Matches(cur.ETag()) {
		return catalog.ErrPreconditionFailed
	}
	delete(c.movies, id)
	c.Actors = append(c.Actors, catalog.Actor(ctx))
	return nil
}

func (c *Catalog) Changes(context.Context, int64, int) (contract.ChangePage, error) {
	return contract.ChangePage{}, nil
}

func apply(m contract.Movie, w contract.MovieWrite) contract.Movie {
	if w.Name != nil {
		m.Name = strings.TrimSpace(*w.Name)
	}
	if w.Director != nil {
		m.Director = *w.Director
	}
	if w.Popularity != nil {
		m.Popularity = contract.Float(*w.Popularity)
	}
	if w.IMDBScore != nil {
		m.IMDBScore = contract.Float(*w.IMDBScore)
	}
	if w.Genre != nil {
		m.Genre = slices.Clone(*w.Genre)
	}
	return m
}

// CallerOf is who calls a catalog route in tests that call them all:
// search-svc follows the feed, the gateway does the rest.
func CallerOf(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/internal/") {
		return servicetoken.Search
	}
	return servicetoken.Gateway
}

// AcquireFeedLease and ReleaseFeedLease: this catalog has no feed.
func (c *Catalog) AcquireFeedLease(context.Context, string, contract.FeedLeaseRequest) (contract.FeedLease, error) {
	return contract.FeedLease{}, apierr.New(apierr.NotFound, "This test catalog has no change feed.")
}

func (c *Catalog) ReleaseFeedLease(context.Context, string, string) error { return nil }
