package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fault and crash tests drive the platform as clients would, and keep
// what each client was told: a write counts as done only when the client
// got its 2xx (an acknowledgement). Afterwards the store must hold every
// acknowledged write, and may hold an unacknowledged one or not: its
// answer was lost, not necessarily the write.

// gone is the state of a deleted movie in a fate.
const gone = ""

// fate is what may have become of one movie: after an acknowledged write,
// that write's state only; each unacknowledged write after it adds its
// state as possible. States are movie names (each write sets a name of its
// own), gone for a delete.
type fate struct {
	possible []string
}

func (f *fate) acked(state string)   { f.possible = []string{state} }
func (f *fate) unacked(state string) { f.possible = append(f.possible, state) }

// createAttempt is a create whose answer was lost. The client retries it
// with the same Idempotency-Key and body once the fault is over.
type createAttempt struct {
	key  string
	body map[string]any
}

// outcome is one request as the client saw it.
type outcome struct {
	kind    string // create, update, delete, detail, list, search
	status  int    // 0: no HTTP answer
	err     error
	elapsed time.Duration
	// retryAfter and degraded are the Retry-After and X-Movies-Degraded
	// headers' presence.
	retryAfter, degraded bool
}

// workload runs writers (an admin creating with Idempotency-Key, renaming
// and deleting movies named with its token) and anonymous readers, and
// records acknowledgements and outcomes.
type workload struct {
	c     *cluster
	admin string
	// token is a made-up word every movie of this workload has in its name,
	// so search can find them all and nothing else.
	token string
	// wait paces each client between requests, so a run of a few seconds
	// makes a bounded number of movies.
	wait time.Duration

	mu       sync.Mutex
	movies   map[int64]*fate
	creates  []createAttempt
	outcomes []outcome
	seq      int
}

func newWorkload(c *cluster, admin string) *workload {
	return &workload{c: c, admin: admin, token: randomWord(), wait: 20 * time.Millisecond, movies: map[int64]*fate{}}
}

// randomWord is 12 random letters: no real word, and far (in edits) from any
// other such word, so typo-tolerant search does not mix two workloads.
func randomWord() string {
	var b strings.Builder
	b.WriteString("zq")
	for range 10 {
		n, _ := rand.Int(rand.Reader, big.NewInt(26))
		b.WriteByte(byte('a' + n.Int64()))
	}
	return b.String()
}

// run runs writers and readers until stop ends, each request bounded by
// perRequest (past it the client gives up: an outcome with an error).
func (w *workload) run(stop context.Context, writers, readers int, perRequest time.Duration) {
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { w.write(stop, i, perRequest) })
	}
	for range readers {
		wg.Go(func() { w.read(stop, perRequest) })
	}
	wg.Wait()
}

func (w *workload) next() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return w.seq
}

func (w *workload) record(o outcome) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outcomes = append(w.outcomes, o)
}

// send makes one request of kind and records its outcome. Requests are not
// cut short when the run stops: a client that stops sending still waits
// for the answers under way.
func (w *workload) send(perRequest time.Duration, kind, method, url, token string, body any, headers ...string) (response, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), perRequest)
	defer cancel()
	start := time.Now()
	r, err := callContext(ctx, method, url, token, body, headers...)
	o := outcome{kind: kind, status: r.Status, err: err, elapsed: time.Since(start)}
	if err == nil {
		o.retryAfter = r.Header.Get("Retry-After") != ""
		o.degraded = r.Header.Get("X-Movies-Degraded") != ""
	}
	w.record(o)
	return r, err == nil
}

// write is one admin client: it creates movies, renames and deletes its
// own. A movie whose write went unacknowledged is left alone afterwards, so
// each movie's writes are sequential and its fate is known.
func (w *workload) write(ctx context.Context, writer int, perRequest time.Duration) {
	var own []int64
	for ctx.Err() == nil {
		n := w.next()
		switch {
		case len(own) == 0 || n%2 == 0:
			name := fmt.Sprintf("%s c%d-%d", w.token, writer, n)
			body := map[string]any{"name": name, "director": "Fault Director", "popularity": 10.0, "imdb_score": 5.0,
				"genre": []map[string]string{{"name": "Drama"}}}
			key := fmt.Sprintf("%s-%d", w.token, n)
			r, ok := w.send(perRequest, "create", http.MethodPost, w.c.Gateway+"/api/movies/", w.admin, body, "Idempotency-Key", key)
			if ok && r.Status == http.StatusCreated {
				var m movie
				if json.Unmarshal(r.Body, &m) == nil && m.ID > 0 {
					w.mu.Lock()
					w.movies[m.ID] = &fate{possible: []string{name}}
					w.mu.Unlock()
					own = append(own, m.ID)
					break
				}
			}
			w.mu.Lock()
			w.creates = append(w.creates, createAttempt{key: key, body: body})
			w.mu.Unlock()
		default:
			i := n % len(own)
			id := own[i]
			detail := fmt.Sprintf("%s/api/movie/%d/", w.c.Gateway, id)
			var r response
			var ok bool
			state := gone
			if n%3 == 0 {
				r, ok = w.send(perRequest, "delete", http.MethodDelete, detail, w.admin, nil)
				ok = ok && r.Status == http.StatusNoContent
			} else {
				state = fmt.Sprintf("%s c%d-%d u", w.token, writer, n)
				r, ok = w.send(perRequest, "update", http.MethodPatch, detail, w.admin, map[string]any{"name": state})
				ok = ok && r.Status == http.StatusOK
			}
			w.mu.Lock()
			if ok {
				w.movies[id].acked(state)
			} else {
				w.movies[id].unacked(state)
			}
			w.mu.Unlock()
			if !ok || state == gone {
				own = slices.Delete(own, i, i+1)
			}
		}
		sleepCtx(ctx, w.wait)
	}
}

// read is one anonymous client: movie details, list pages and searches,
// varied so the gateway's answer cache does not answer them all.
func (w *workload) read(ctx context.Context, perRequest time.Duration) {
	for ctx.Err() == nil {
		n := w.next()
		switch n % 3 {
		case 0:
			w.send(perRequest, "detail", http.MethodGet, fmt.Sprintf("%s/api/movie/%d/", w.c.Gateway, 1+n%248), "", nil)
		case 1:
			w.send(perRequest, "list", http.MethodGet, fmt.Sprintf("%s/api/movies/?page_size=%d", w.c.Gateway, 1+n%50), "", nil)
		default:
			w.send(perRequest, "search", http.MethodGet, fmt.Sprintf("%s/api/movies/?search=%s", w.c.Gateway, url.QueryEscape(fmt.Sprintf("star r%d", n))), "", nil)
		}
		sleepCtx(ctx, w.wait)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// retryCreates retries every create whose answer was lost, with its key
// and body, until it is acknowledged: as a client that timed out does. The
// first answer may have been the real create (the retry then replays it)
// or not (the retry creates it): one movie either way.
func (w *workload) retryCreates(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	w.mu.Lock()
	pending := w.creates
	w.creates = nil
	w.mu.Unlock()
	for _, a := range pending {
		for {
			r, err := call(http.MethodPost, w.c.Gateway+"/api/movies/", w.admin, a.body, "Idempotency-Key", a.key)
			if err == nil && r.Status == http.StatusCreated {
				var m movie
				r.JSON(t, &m)
				if m.Name != a.body["name"] {
					t.Fatalf("retry of create %s answered %+v", a.key, m)
				}
				w.mu.Lock()
				w.movies[m.ID] = &fate{possible: []string{m.Name}}
				w.mu.Unlock()
				break
			}
			if err == nil && r.Status < 500 && r.Status != http.StatusConflict {
				t.Fatalf("retry of create %s: %d %s", a.key, r.Status, r.Body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("retry of create %s not acknowledged within %s: %v %d %s", a.key, within, err, r.Status, r.Body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// checkStore compares the catalog's database with the acknowledgements:
// every movie a client was told of is in one of its possible states, and
// there is no movie of the workload no client was told of (a create made
// twice). It returns the workload's movies as stored, by id.
func (w *workload) checkStore(t testing.TB, db *sql.DB) map[int64]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT id, name FROM movies WHERE name LIKE ?", w.token+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		stored[id] = name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, f := range w.movies {
		if !slices.Contains(f.possible, stored[id]) {
			t.Errorf("movie %d is %q in the store; the clients were told it is %q (or, unacknowledged, %q)",
				id, stored[id], f.possible[0], f.possible[1:])
		}
	}
	for id, name := range stored {
		if w.movies[id] == nil {
			t.Errorf("movie %d %q is in the store but no client was told it was created", id, name)
		}
	}
	return stored
}

// acknowledged counts the workload's acknowledged writes, by kind.
func (w *workload) acknowledged() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := map[string]int{}
	for _, o := range w.outcomes {
		if o.err == nil && o.status >= 200 && o.status < 300 {
			n[o.kind]++
		}
	}
	return n
}

// waitSearchConverges waits until search (through the gateway, not
// degraded) finds exactly the stored movies of the workload, each once and
// by its stored name: none missing, no deleted one, no duplicate.
func (w *workload) waitSearchConverges(t testing.TB, stored map[int64]string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for {
		found, dups, ok := w.searchIndex(t)
		if ok && len(dups) == 0 && maps.Equal(found, stored) {
			return time.Since(start)
		}
		last = fmt.Sprintf("found %d (duplicates %v, answered %v), stored %d", len(found), dups, ok, len(stored))
		if time.Since(start) > within {
			for id, name := range stored {
				if found[id] != name {
					t.Errorf("movie %d %q: search has %q", id, name, found[id])
				}
			}
			for id, name := range found {
				if _, ok := stored[id]; !ok {
					t.Errorf("search has movie %d %q, which is not stored", id, name)
				}
			}
			t.Fatalf("search did not converge within %s: %s", within, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// searchIndex is what search finds for the workload's token, and the ids
// it found more than once; ok is false when the answer was not search's
// own (an error, or the catalog's degraded fallback).
func (w *workload) searchIndex(t testing.TB) (found map[int64]string, dups []int64, ok bool) {
	found = map[int64]string{}
	r, err := call(http.MethodGet, w.c.Gateway+"/api/movies/?page_size=500&search="+w.token, "", nil)
	if err != nil || r.Status != http.StatusOK || r.Header.Get("X-Movies-Degraded") != "" {
		return found, nil, false
	}
	var page []movie
	r.JSON(t, &page)
	for _, m := range page {
		if !strings.HasPrefix(m.Name, w.token) {
			continue
		}
		if _, seen := found[m.ID]; seen {
			dups = append(dups, m.ID)
		}
		found[m.ID] = m.Name
	}
	return found, dups, true
}
