package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"

	"github.com/moviesplatform/gateway/cursorsig"
)

func (g *Gateway) listMovies(w http.ResponseWriter, r *http.Request) error {
	ctx, err := g.reader(w, r)
	if err != nil {
		return err
	}
	q, from, _, err := g.parseList(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := g.list(ctx, w, q, from)
	if err != nil {
		return err
	}
	g.signCursors(cursorsig.ScopeList, &page.Next, &page.Prev)
	h := w.Header()
	if links := g.pageLinks(r, contract.RouteMovies, page.Next, page.Prev); links != "" {
		h.Set("Link", links)
	}
	if page.Total != nil {
		h.Set(contract.HeaderTotalCount, strconv.FormatInt(*page.Total, 10))
	}
	movies := page.Movies
	if movies == nil {
		movies = []contract.Movie{} // seed clients expect an array, never null
	}
	return httpx.WriteJSON(w, http.StatusOK, movies)
}

func (g *Gateway) getMovie(w http.ResponseWriter, r *http.Request) error {
	ctx, err := g.reader(w, r)
	if err != nil {
		return err
	}
	id, err := movieID(r)
	if err != nil {
		return err
	}
	m, err := g.catalog.Get(ctx, id)
	if err != nil {
		return err
	}
	return writeMovie(w, http.StatusOK, m)
}

// writeMovie sends one movie with its version's ETag, the tag a client
// sends back in If-Match (cached answers keep it: see render).
func writeMovie(w http.ResponseWriter, status int, m contract.Movie) error {
	if m.Version > 0 {
		w.Header().Set(contract.HeaderETag, m.ETag())
	}
	return httpx.WriteJSON(w, status, m)
}

func (g *Gateway) createMovie(w http.ResponseWriter, r *http.Request) error {
	ctx, err := g.admin(r)
	if err != nil {
		return err
	}
	key, err := contract.IdempotencyKeyOf(r.Header)
	if err != nil {
		return err
	}
	if key != "" {
		ctx = catalog.WithIdempotencyKey(ctx, key)
	}
	var in contract.MovieWrite
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := g.catalog.Create(ctx, in)
	g.dropCached(ctx, m.ID) // even on failure: the create may have happened
	if err != nil {
		return err
	}
	w.Header().Set("Location", g.absoluteURL(r, contract.MoviePath(m.ID)).String())
	return writeMovie(w, http.StatusCreated, m)
}

func (g *Gateway) replaceMovie(w http.ResponseWriter, r *http.Request) error {
	return g.updateMovie(w, r, g.catalog.Replace)
}

func (g *Gateway) patchMovie(w http.ResponseWriter, r *http.Request) error {
	return g.updateMovie(w, r, g.catalog.Patch)
}

func (g *Gateway) updateMovie(w http.ResponseWriter, r *http.Request,
	update func(context.Context, int64, contract.MovieWrite) (contract.Movie, error)) error {
	ctx, id, err := g.adminOnMovie(r)
	if err != nil {
		return err
	}
	var in contract.MovieWrite
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := update(ctx, id, in)
	g.dropCached(ctx, id)
	if err != nil {
		return err
	}
	return writeMovie(w, http.StatusOK, m)
}

func (g *Gateway) deleteMovie(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := g.adminOnMovie(r)
	if err != nil {
		return err
	}
	err = g.catalog.Delete(ctx, id)
	g.dropCached(ctx, id)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminOnMovie authorizes an admin's change to the movie the path names,
// conditional on the request's If-Match. The caller is checked first, as
// DRF does: strangers learn nothing of ids.
func (g *Gateway) adminOnMovie(r *http.Request) (context.Context, int64, error) {
	ctx, err := g.admin(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := movieID(r)
	if err != nil {
		return nil, 0, err
	}
	cond, err := contract.IfMatchOf(r.Header)
	if err != nil {
		return nil, 0, err
	}
	return catalog.WithIfMatch(ctx, cond), id, nil
}

// movieID reads the {id} of a movie path; anything but a positive integer
// names no movie, so it is a 404 like an unknown id.
func movieID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	if raw == "" || strings.TrimLeft(raw, "0123456789") != "" {
		return 0, apierr.ErrNotFound
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, apierr.ErrNotFound
	}
	return id, nil
}
