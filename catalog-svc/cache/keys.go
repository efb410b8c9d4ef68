package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

// ShapeVersion names the layout of cached values (entry, contract.Movie,
// contract.Page). Bump it with any change to them: pods of the new deploy
// then read and write keys of their own, never an old shape.
const ShapeVersion = "v2" // v2: entries carry the movie's version

// keys names everything the cache keeps in Redis. Movie and list-page keys
// carry the shape version; the list generation and the invalidation channel
// do not, so a write on a pod of either version during a rolling deploy
// drops the list pages of both and reaches every pod.
type keys struct{ ns, version string }

func (k keys) movie(id int64) string {
	return k.ns + ":" + k.version + ":movie:" + strconv.FormatInt(id, 10)
}

func (k keys) listGen() string { return k.ns + ":lists:gen" }

// listsQuiet exists for Config.QuietTTL after every write: while it does, no
// list page is stored in Redis (a fill may have read a lagging replica).
func (k keys) listsQuiet() string { return k.ns + ":lists:quiet" }

// list is the key of one list page under generation gen; query is the
// page's encoded query, hashed so keys stay short whatever the filters.
func (k keys) list(gen, query string) string {
	sum := sha256.Sum256([]byte(query))
	return k.ns + ":" + k.version + ":list:" + gen + ":" + hex.EncodeToString(sum[:16])
}

func (k keys) channel() string { return k.ns + ":invalidate" }

// writer exists while who is a recent writer (RecentWriters). It holds no
// cached value, so it has no shape version: pods of both versions of a
// rolling deploy must see each other's writers.
func (k keys) writer(who string) string { return k.ns + ":writer:" + who }

// newGeneration returns a list generation never used before. Random rather
// than a counter, so a generation key that Redis lost (restart, eviction)
// cannot come back with a number whose old pages are still stored.
func newGeneration() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// invalidation is the message pods exchange after a write: the writer's shape
// version, then the ids whose details changed (none: only the lists).
func invalidation(version string, ids []int64) string {
	parts := make([]string, 0, len(ids)+1)
	parts = append(parts, version)
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, " ")
}

func parseInvalidation(msg string) (version string, ids []int64, ok bool) {
	fields := strings.Fields(msg)
	if len(fields) == 0 {
		return "", nil, false
	}
	for _, f := range fields[1:] {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return "", nil, false
		}
		ids = append(ids, id)
	}
	return fields[0], ids, true
}

// tombstonePrefix starts the value of a movie key just invalidated, for
// Config.QuietTTL; the rest is unique to the write. Fills of an absent key
// only create it (SET NX), so a fill that read the database (or a lagging
// replica) before the write cannot put the old value back. A fill that found
// the tombstone reads the primary and replaces that very tombstone only
// (compare and set), so a later write's tombstone always wins.
const tombstonePrefix = "-"

func newTombstone() string { return tombstonePrefix + newGeneration() }

func isTombstone(raw []byte) bool { return len(raw) > 0 && raw[0] == tombstonePrefix[0] }

// entry is one cached answer: a movie, a "no such movie", or a list page.
type entry struct {
	Movie *contract.Movie `json:"m,omitempty"`
	// Version is Movie's, which its JSON (the seed's shape) leaves out.
	Version int64          `json:"v,omitempty"`
	Missing bool           `json:"nf,omitempty"`
	Page    *contract.Page `json:"p,omitempty"`
}

func (e entry) movie() (contract.Movie, error) {
	if e.Missing || e.Movie == nil {
		return contract.Movie{}, errNotFound
	}
	return cloneMovie(*e.Movie), nil
}

func (e entry) page() contract.Page {
	if e.Page == nil {
		return contract.Page{}
	}
	p := *e.Page
	p.Movies = make([]contract.Movie, len(e.Page.Movies))
	for i, m := range e.Page.Movies {
		p.Movies[i] = cloneMovie(m)
	}
	if p.Total != nil {
		t := *p.Total
		p.Total = &t
	}
	return p
}

// cloneMovie copies m so callers may change what they get without changing
// the cached value other requests share.
func cloneMovie(m contract.Movie) contract.Movie {
	m.Genre = slices.Clone(m.Genre)
	return m
}

func encode(e entry) ([]byte, error) {
	if e.Movie != nil {
		e.Version = e.Movie.Version
	}
	return json.Marshal(e)
}

func decode(b []byte) (entry, error) {
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	if e.Movie != nil {
		e.Movie.Version = e.Version
	}
	return e, nil
}
