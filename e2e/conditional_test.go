package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// conditionalSuite: through the gateway, concurrent read-modify-write
// clients using If-Match lose no update, and concurrent retries of one
// create under an Idempotency-Key make one movie.
func conditionalSuite(t *testing.T, c *cluster, admin string) {
	const clients = 8
	t.Run("concurrent conditional writes lose no update", func(t *testing.T) {
		id := createMovie(t, c, admin, "Counter")
		path := c.Gateway + fmt.Sprintf("/api/movie/%d/", id)
		expectStatus(t, do(t, http.MethodPatch, path, admin, map[string]any{"popularity": 0.0}), http.StatusOK)
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Go(func() {
				// Read, add one, write back on the version read; a 412
				// means another client came first: read again.
				for range 200 {
					r, err := call(http.MethodGet, path, admin, nil)
					if err != nil || r.Status != http.StatusOK {
						errs <- fmt.Errorf("read: %d %s %v", r.Status, r.Body, err)
						return
					}
					var m movie
					if err := json.Unmarshal(r.Body, &m); err != nil {
						errs <- err
						return
					}
					w, err := call(http.MethodPatch, path, admin, map[string]any{"popularity": m.Popularity + 1},
						"If-Match", r.Header.Get("ETag"))
					switch {
					case err != nil:
						errs <- err
						return
					case w.Status == http.StatusOK:
						return
					case w.Status != http.StatusPreconditionFailed:
						errs <- fmt.Errorf("conditional write: %d %s", w.Status, w.Body)
						return
					}
				}
				errs <- fmt.Errorf("no write got through in 200 tries")
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var m movie
		do(t, http.MethodGet, path, admin, nil).JSON(t, &m)
		if m.Popularity != clients {
			t.Fatalf("counter at %v after %d increments: an update was lost", m.Popularity, clients)
		}
		// A stale tag still writes nothing; the write answers carried tags.
		r := do(t, http.MethodPatch, path, admin, map[string]any{"popularity": 99.0}, "If-Match", fmt.Sprintf(`"%d-1"`, id))
		expectStatus(t, r, http.StatusPreconditionFailed)
	})

	t.Run("concurrent retries of one create make one movie", func(t *testing.T) {
		const director = "Idempotent Director"
		body := map[string]any{"name": "Once Only", "director": director, "popularity": 10.0, "imdb_score": 1.0}
		var wg sync.WaitGroup
		answers := make(chan response, clients)
		errs := make(chan error, clients)
		for range clients {
			wg.Go(func() {
				r, err := call(http.MethodPost, c.Gateway+"/api/movies/", admin, body, "Idempotency-Key", "e2e-once-only")
				if err != nil {
					errs <- err
					return
				}
				answers <- r
			})
		}
		wg.Wait()
		close(errs)
		close(answers)
		for err := range errs {
			t.Fatal(err)
		}
		var first response
		for r := range answers {
			expectStatus(t, r, http.StatusCreated)
			if first.Status == 0 {
				first = r
			}
			if !bytes.Equal(r.Body, first.Body) || r.Header.Get("Location") != first.Header.Get("Location") ||
				r.Header.Get("ETag") != first.Header.Get("ETag") {
				t.Fatalf("answers differ: %s %v / %s %v", r.Body, r.Header, first.Body, first.Header)
			}
		}
		if n := len(listAll(t, c.Gateway+"/api/movies/?director="+url.QueryEscape(director))); n != 1 {
			t.Fatalf("%d movies made, want 1", n)
		}
		body["name"] = "Another"
		r := do(t, http.MethodPost, c.Gateway+"/api/movies/", admin, body, "Idempotency-Key", "e2e-once-only")
		expectStatus(t, r, http.StatusUnprocessableEntity)
		r = do(t, http.MethodPost, c.Gateway+"/api/movies/", admin, body, "Idempotency-Key", "not visible")
		expectStatus(t, r, http.StatusBadRequest)
	})
}
