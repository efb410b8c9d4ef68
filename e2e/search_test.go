package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/moviesplatform/platform/sqldb"
)

// TestSearch checks search through the gateway with search-svc fed by the
// catalog's change feed, and, where it runs as its own process, what
// happens when it dies.
func TestSearch(t *testing.T) {
	forEachLayout(t, testSearch)
}

func testSearch(t *testing.T, l layout) {
	dir := t.TempDir()
	c := startCluster(t, l, string(sqldb.SQLite), "file:"+dir+"/catalog.db", "file:"+dir+"/auth.db")
	admin := login(t, c.Gateway, adminUser, adminPassword)
	waitFor(t, 30*time.Second, "search-svc to index the reference data", func() bool {
		return slices.Contains(search(t, c, "casablanca", false), "Casablanca")
	})

	t.Run("typos, prefixes and ranking", func(t *testing.T) {
		for query, want := range map[string]string{
			"godfater": "The Godfather", "casablanka": "Casablanca", "casab": "Casablanca",
			"star": "Star Wars", "empire strikes": "Star Wars : Episode V - The Empire Strikes Back",
		} {
			if got := search(t, c, query, false); !slices.Contains(got, want) {
				t.Errorf("search %q = %v, want it to find %q", query, got, want)
			}
		}
		if got := search(t, c, "star trek", false); len(got) == 0 || got[0] != "Star Trek" {
			t.Errorf(`search "star trek" ranks %v; want Star Trek first`, got)
		}
	})

	t.Run("facets agree with the catalog", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/search/?search=star&page_size=50", "", nil)
		expectStatus(t, r, http.StatusOK)
		var res struct {
			Hits   []movie                     `json:"hits"`
			Facets map[string]map[string]int64 `json:"facets"`
		}
		r.JSON(t, &res)
		counts := map[string]int64{}
		for _, m := range res.Hits {
			for _, g := range m.Genre {
				counts[g.Name]++
			}
		}
		for g, n := range counts {
			if res.Facets["genre"][g] != n {
				t.Errorf("facet %s = %d, hits have %d", g, res.Facets["genre"][g], n)
			}
		}
		scifi := names(listAll(t, c.Gateway+"/api/movies/?genre=Sci-Fi&page_size=500"))
		for _, name := range names(searchMovies(t, c, "star", "&genre=Sci-Fi")) {
			if !slices.Contains(scifi, name) {
				t.Errorf("search with genre=Sci-Fi found %q, which the catalog does not list as Sci-Fi", name)
			}
		}
	})

	t.Run("a change through the API is soon findable", func(t *testing.T) {
		created := createMovie(t, c, admin, "Zyzzyva Nights")
		start := time.Now()
		waitFor(t, 10*time.Second, "the new movie in search", func() bool {
			return slices.Contains(search(t, c, "zyzzyva", false), "Zyzzyva Nights")
		})
		t.Logf("created movie findable after %s", time.Since(start).Round(time.Millisecond))
		expectStatus(t, do(t, http.MethodDelete, fmt.Sprintf("%s/api/movie/%d/", c.Gateway, created), admin, nil), http.StatusNoContent)
		waitFor(t, 10*time.Second, "the deleted movie to leave search", func() bool {
			return len(search(t, c, "zyzzyva", false)) == 0
		})
	})

	t.Run("search-svc down: degraded answers, then it catches up", func(t *testing.T) {
		if !c.runsAlone(svcSearch) {
			t.Skipf("search-svc shares its process in the %s layout", l.name)
		}
		c.stop(svcSearch)
		r := do(t, http.MethodGet, c.Gateway+"/api/movies/?search=star", "", nil)
		expectStatus(t, r, http.StatusOK)
		if r.Header.Get("X-Movies-Degraded") == "" {
			t.Errorf("answer without search-svc is not marked degraded")
		}
		if got := search(t, c, "star wars", true); !slices.Contains(got, "Star Wars") {
			t.Errorf("degraded search = %v", got)
		}

		// Changes made while search-svc is down.
		keep := createMovie(t, c, admin, "Quokka Rising")
		gone := createMovie(t, c, admin, "Quokka Falling")
		renamed := createMovie(t, c, admin, "Quokka Draft")
		expectStatus(t, do(t, http.MethodDelete, fmt.Sprintf("%s/api/movie/%d/", c.Gateway, gone), admin, nil), http.StatusNoContent)
		expectStatus(t, do(t, http.MethodPatch, fmt.Sprintf("%s/api/movie/%d/", c.Gateway, renamed), admin,
			map[string]any{"name": "Quokka Final Cut"}), http.StatusOK)

		c.start(svcSearch)
		want := []string{"Quokka Final Cut", "Quokka Rising"}
		waitFor(t, 30*time.Second, "search-svc to catch up", func() bool {
			got := search(t, c, "quokka", false)
			slices.Sort(got)
			return slices.Equal(got, want)
		})
		ids := map[int64]int{}
		for _, m := range searchMovies(t, c, "quokka", "") {
			ids[m.ID]++
		}
		if ids[keep] != 1 || ids[renamed] != 1 || ids[gone] != 0 {
			t.Errorf("after catching up: ids %v (kept %d, renamed %d, deleted %d)", ids, keep, renamed, gone)
		}
	})
}

// search returns the names ?search=query finds through the gateway; with
// degraded set it accepts a degraded answer, otherwise it requires a
// non-degraded one (returning nothing for a degraded answer).
func search(t testing.TB, c *cluster, query string, degraded bool) []string {
	t.Helper()
	r := do(t, http.MethodGet, c.Gateway+"/api/movies/?page_size=100&search="+url.QueryEscape(query), "", nil)
	expectStatus(t, r, http.StatusOK)
	if !degraded && r.Header.Get("X-Movies-Degraded") != "" {
		return nil
	}
	var page []movie
	r.JSON(t, &page)
	return names(page)
}

func searchMovies(t testing.TB, c *cluster, query, extra string) []movie {
	t.Helper()
	return listAll(t, c.Gateway+"/api/movies/?page_size=100&search="+url.QueryEscape(query)+extra)
}

func createMovie(t testing.TB, c *cluster, admin, name string) int64 {
	t.Helper()
	r := do(t, http.MethodPost, c.Gateway+"/api/movies/", admin, map[string]any{
		"name": name, "director": "E2E Director", "popularity": 50.0, "imdb_score": 5.0,
		"genre": []map[string]string{{"name": "Drama"}},
	})
	expectStatus(t, r, http.StatusCreated)
	var m movie
	r.JSON(t, &m)
	return m.ID
}
