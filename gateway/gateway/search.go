package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"

	"github.com/moviesplatform/gateway/cursorsig"
)

// HeaderPageRestarted is set to "true" when a ?search= page asked for with
// search-svc's cursor was answered by the catalog: the catalog cannot
// continue search-svc's order, so it answers its own first page.
const HeaderPageRestarted = "X-Movies-Page-Restarted"

// errNoSearch answers GET /api/search/ in a deployment without search-svc.
var errNoSearch = apierr.New(apierr.Unavailable, "Search is not available.")

// issuer is the backend that made a ?search= cursor. The catalog's keyset
// cursors and search-svc's offset cursors mean nothing to each other, so
// the cursors of ?search= pages carry their issuer: a walk that began on the
// catalog (search-svc failing) stays there, and one that began on search-svc
// restarts on the catalog if search-svc fails midway, instead of a 400.
type issuer int

const (
	noCursor issuer = iota
	byCatalog
	bySearch
)

var cursorTags = map[issuer]string{byCatalog: "c.", bySearch: "s."}

// splitCursor returns a cursor's issuer and the backend's own cursor. An
// untagged cursor is the catalog's: the plain list hands those out.
func splitCursor(c string) (issuer, string) {
	if c == "" {
		return noCursor, ""
	}
	for is, tag := range cursorTags {
		if raw, ok := strings.CutPrefix(c, tag); ok {
			return is, raw
		}
	}
	return byCatalog, c
}

func tagged(is issuer, p contract.Page) contract.Page {
	for _, c := range []*string{&p.Next, &p.Prev} {
		if *c != "" {
			*c = cursorTags[is] + *c
		}
	}
	return p
}

// list answers a list query: searches from search-svc when there is one,
// from the catalog otherwise, or when search-svc fails on its side
// (flagged degraded), or when the walk began on the catalog.
func (g *Gateway) list(ctx context.Context, w http.ResponseWriter, q contract.ListQuery, from issuer) (contract.Page, error) {
	if q.Search == "" {
		return g.catalog.List(ctx, q)
	}
	if g.search != nil && from != byCatalog {
		page, err := g.search.List(ctx, q)
		if !apierr.IsServerFault(err) {
			return tagged(bySearch, page), err
		}
		g.log.WarnContext(ctx, "search failed; the catalog answers", "error", err)
	}
	if g.search != nil {
		w.Header().Set(contract.HeaderDegraded, "search")
	}
	if from == bySearch {
		q.Cursor = ""
		w.Header().Set(HeaderPageRestarted, "true")
	}
	release, err := g.acquireSQLSearch(ctx)
	if err != nil {
		return contract.Page{}, err
	}
	defer release()
	page, err := g.catalog.List(ctx, q)
	return tagged(byCatalog, page), err
}

// errSearchBusy refuses a SQL search past the gateway's bound.
var errSearchBusy = apierr.New(apierr.Unavailable, "Search is busy, try again shortly.").WithHeader("Retry-After", "1")

// sqlSearchWait is how long a SQL search may wait for a slot.
const sqlSearchWait = 250 * time.Millisecond

// acquireSQLSearch takes one of the bounded SQL search slots, waiting
// briefly; past that the search is refused with a 503 rather than queued
// onto a database that is already scanning.
func (g *Gateway) acquireSQLSearch(ctx context.Context) (func(), error) {
	release := func() { <-g.sqlSearches }
	select {
	case g.sqlSearches <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(sqlSearchWait)
	defer t.Stop()
	select {
	case g.sqlSearches <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errSearchBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// searchMovies answers GET /api/search/ from search-svc alone: facets and
// relevance have no SQL equivalent worth serving, so when search-svc fails
// this is its 503 (or 504), and ?search= on the list is the fallback.
func (g *Gateway) searchMovies(w http.ResponseWriter, r *http.Request) error {
	if _, err := g.reader(w, r); err != nil {
		return err
	}
	q, err := g.parseSearch(r.URL.Query())
	if err != nil {
		return err
	}
	if g.search == nil {
		return errNoSearch
	}
	res, err := g.search.Search(r.Context(), q)
	if err != nil {
		return err
	}
	g.signCursors(cursorsig.ScopeSearch, &res.Next, &res.Prev)
	h := w.Header()
	if links := g.pageLinks(r, contract.RouteSearch, res.Next, res.Prev); links != "" {
		h.Set("Link", links)
	}
	h.Set(contract.HeaderTotalCount, strconv.FormatInt(res.EstimatedTotal, 10))
	if res.Hits == nil {
		res.Hits = []contract.Movie{}
	}
	return httpx.WriteJSON(w, http.StatusOK, res)
}
