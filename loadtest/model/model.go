// Package model is the traffic of the seed's API at five times its scale:
// 75M hits a day, ~870 req/s on average and ~4,300 at peak, read-heavy,
// from anonymous and authenticated users. A request is drawn from a mix of
// endpoints (movie detail, list pages with filters and cursors, search, a
// few admin writes); the movies asked for follow popularity (a Zipf law over
// the synthetic catalog's popularity ranks), so a few ids are hot and the
// long tail is cold, as a cache would see it.
package model

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/moviesplatform/loadtest/gen"
	"github.com/moviesplatform/platform/contract"
)

// Kind names an endpoint of the mix; summaries break figures down by it.
type Kind string

// The kinds of request the model makes.
const (
	Detail       Kind = "detail"        // GET /api/movie/{id}/, id by popularity
	ListDefault  Kind = "list_default"  // GET /api/movies/, first page
	ListGenre    Kind = "list_genre"    // genre filter, most popular first
	ListDirector Kind = "list_director" // director filter, best rated first
	ListCursor   Kind = "list_cursor"   // a later page of a list, by cursor
	ListDeep     Kind = "list_deep"     // deep in the popularity order (range start, then cursors)
	Search       Kind = "search"        // ?search= with one or two title words
	WritePatch   Kind = "write_patch"   // admin PATCH of a movie's popularity
	WriteCreate  Kind = "write_create"  // admin POST of a new movie
)

// DefaultMix is the share of each kind, in percent: detail pages dominate,
// lists and search follow, writes are rare admin edits.
var DefaultMix = map[Kind]float64{
	Detail:       55,
	ListDefault:  6,
	ListGenre:    8,
	ListDirector: 4,
	ListCursor:   4,
	ListDeep:     3,
	Search:       19.5,
	WritePatch:   0.3,
	WriteCreate:  0.2,
}

// Request is one request of the model. Token is "" for anonymous traffic.
type Request struct {
	Kind   Kind
	Method string
	// Path is the path and query, relative to the target's base URL.
	Path  string
	Body  []byte
	Token string
}

// Config describes the traffic.
type Config struct {
	// Catalog is the synthetic catalog the target was loaded with.
	Catalog *gen.Generator
	// IDBase is added to the generator's ids: the catalog's largest id
	// before the bulk load (0 when it was loaded into an empty catalog).
	IDBase int64
	// Mix weights the kinds (DefaultMix when nil). Write kinds are left
	// out when there is no AdminToken.
	Mix map[Kind]float64
	// ZipfS is the exponent of the popularity law of ids (> 1; default 1.1).
	ZipfS float64
	// AnonymousShare of the read traffic carries no token (default 0.7);
	// the rest uses UserTokens, round robin.
	AnonymousShare float64
	UserTokens     []string
	AdminToken     string
	// Seed makes the request sequence reproducible.
	Seed uint64
}

// Model draws requests. It is safe for concurrent use.
type Model struct {
	cfg     Config
	kinds   []Kind
	cum     []float64
	words   []string
	genres  []gen.Genre
	genreCm []float64

	mu      sync.Mutex
	r       *rand.Rand
	zipf    *rand.Zipf
	user    int
	cursors map[Kind][]string
}

// New returns the model of cfg.
func New(cfg Config) (*Model, error) {
	if cfg.Catalog == nil {
		return nil, fmt.Errorf("model: no catalog")
	}
	if cfg.Mix == nil {
		cfg.Mix = DefaultMix
	}
	if cfg.ZipfS == 0 {
		cfg.ZipfS = 1.1
	}
	if cfg.ZipfS <= 1 {
		return nil, fmt.Errorf("model: the Zipf exponent must be > 1, got %v", cfg.ZipfS)
	}
	if cfg.AnonymousShare == 0 {
		cfg.AnonymousShare = 0.7
	}
	if len(cfg.UserTokens) == 0 {
		cfg.AnonymousShare = 1
	}
	genres, err := gen.ReferenceGenres()
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, words: gen.SearchWords(), genres: genres, cursors: map[Kind][]string{}}
	sum := 0.0
	for _, k := range []Kind{Detail, ListDefault, ListGenre, ListDirector, ListCursor, ListDeep, Search, WritePatch, WriteCreate} {
		w := cfg.Mix[k]
		if w < 0 {
			return nil, fmt.Errorf("model: negative weight for %s", k)
		}
		if w == 0 || (k == WritePatch || k == WriteCreate) && cfg.AdminToken == "" {
			continue
		}
		sum += w
		m.kinds, m.cum = append(m.kinds, k), append(m.cum, sum)
	}
	if sum == 0 {
		return nil, fmt.Errorf("model: the mix is empty")
	}
	for _, g := range genres {
		m.genreCm = append(m.genreCm, g.Weight+lastOr0(m.genreCm))
	}
	m.r = rand.New(rand.NewPCG(cfg.Seed, 0x10ad))
	m.zipf = rand.NewZipf(m.r, cfg.ZipfS, 1, uint64(cfg.Catalog.N()-1))
	return m, nil
}

func lastOr0(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// Kinds lists the kinds the model draws from, in a fixed order.
func (m *Model) Kinds() []Kind { return append([]Kind(nil), m.kinds...) }

// AddCursors gives the model list pages to continue (paths with a cursor,
// as a Link header or X-Next-Cursor hands them out) for kind ListCursor or
// ListDeep. Without them those kinds ask for the page that starts the walk.
func (m *Model) AddCursors(k Kind, paths ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursors[k] = append(m.cursors[k], paths...)
}

// HotID returns a movie id drawn by popularity.
func (m *Model) HotID() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hotID()
}

func (m *Model) hotID() int64 {
	return m.cfg.Catalog.ID(int64(m.zipf.Uint64())+1) + m.cfg.IDBase
}

// Next draws the next request.
func (m *Model) Next() Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	x := m.r.Float64() * m.cum[len(m.cum)-1]
	k := m.kinds[len(m.kinds)-1]
	for i, c := range m.cum {
		if x < c {
			k = m.kinds[i]
			break
		}
	}
	req := Request{Kind: k, Method: "GET"}
	switch k {
	case Detail:
		req.Path = moviePath(m.hotID())
	case ListDefault:
		req.Path = contract.RouteMovies
	case ListGenre:
		req.Path = listPath(url.Values{contract.ParamGenre: {m.genre()}, contract.ParamOrdering: {"-popularity"}})
	case ListDirector:
		d := m.cfg.Catalog.Movie(m.hotID() - m.cfg.IDBase).Director
		req.Path = listPath(url.Values{contract.ParamDirector: {d}, contract.ParamOrdering: {"-imdb_score"}})
	case ListCursor, ListDeep:
		if pool := m.cursors[k]; len(pool) > 0 {
			req.Path = pool[m.r.IntN(len(pool))]
		} else if k == ListDeep {
			req.Path = DeepStart(m.cfg.Catalog, m.r.Int64N(m.cfg.Catalog.N())+1)
		} else { // no cursors gathered: the first page of a walk instead
			req.Kind = ListGenre
			req.Path = listPath(url.Values{contract.ParamGenre: {m.genre()}, contract.ParamOrdering: {"-popularity"}})
		}
	case Search:
		terms := m.words[m.r.IntN(len(m.words))]
		if m.r.IntN(4) == 0 {
			terms += " " + m.words[m.r.IntN(len(m.words))]
		}
		req.Path = listPath(url.Values{contract.ParamSearch: {terms}})
	case WritePatch:
		// Admins edit the long tail as often as the head: uniform ids.
		req.Method, req.Token = "PATCH", m.cfg.AdminToken
		req.Path = moviePath(m.r.Int64N(m.cfg.Catalog.N()) + 1 + m.cfg.IDBase)
		req.Body = mustJSON(map[string]float64{"popularity": math.Round(m.r.Float64()*1000) / 10})
	case WriteCreate:
		mv := m.cfg.Catalog.Movie(m.r.Int64N(m.cfg.Catalog.N()) + 1)
		req.Method, req.Token = "POST", m.cfg.AdminToken
		req.Path = contract.RouteMovies
		req.Body = mustJSON(map[string]any{"name": mv.Name + " (loadtest)", "director": mv.Director,
			"popularity": mv.Popularity, "imdb_score": mv.IMDBScore, "genre": mv.Genre})
	}
	if req.Token == "" && m.r.Float64() >= m.cfg.AnonymousShare {
		req.Token = m.cfg.UserTokens[m.user%len(m.cfg.UserTokens)]
		m.user++
	}
	return req
}

func (m *Model) genre() string {
	x := m.r.Float64() * lastOr0(m.genreCm)
	for i, c := range m.genreCm {
		if x < c {
			return m.genres[i].Name
		}
	}
	return m.genres[len(m.genres)-1].Name
}

func moviePath(id int64) string {
	return strings.Replace(contract.RouteMovie, "{id}", strconv.FormatInt(id, 10), 1)
}

func listPath(v url.Values) string { return contract.RouteMovies + "?" + v.Encode() }

// DeepStart is the list page that starts at the movie of popularity rank
// rank, in popularity order: a range scan as deep in the index as a client
// that paged that far would be.
func DeepStart(c *gen.Generator, rank int64) string {
	p := gen.Popularity(rank, c.N())
	return listPath(url.Values{contract.ParamOrdering: {"-popularity"},
		contract.ParamPopularityMax: {strconv.FormatFloat(p, 'f', -1, 64)}})
}

// Classify tells the kind of a request from its method and URL, for results
// that carry only those.
func Classify(method, rawURL string) Kind {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "unknown"
	}
	q := u.Query()
	switch {
	case method == "PATCH":
		return WritePatch
	case method == "POST":
		return WriteCreate
	case strings.HasPrefix(u.Path, "/api/movie/"):
		return Detail
	case q.Has(contract.ParamSearch):
		return Search
	case q.Has(contract.ParamPopularityMax):
		return ListDeep
	case q.Has(contract.ParamCursor):
		return ListCursor
	case q.Has(contract.ParamDirector):
		return ListDirector
	case q.Has(contract.ParamGenre):
		return ListGenre
	case u.Path == contract.RouteMovies:
		return ListDefault
	}
	return "unknown"
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return b
}
