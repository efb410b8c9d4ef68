package upstream

import (
	"context"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// CatalogGuards are the catalog's guards by route class. Each class has its
// own breaker, so slow list pages (a costly filter) cannot open the circuit
// for detail pages or writes, which stay fast.
type CatalogGuards struct {
	List  *Guard // List: filtered, sorted pages
	Read  *Guard // Get and the change feed: primary-key reads
	Write *Guard // Create, Replace, Patch, Delete
}

// All lists the guards, for readiness detail and metrics.
func (g CatalogGuards) All() []*Guard { return []*Guard{g.List, g.Read, g.Write} }

// Catalog guards every call to a catalog.
func Catalog(g CatalogGuards) func(catalog.Service) catalog.Service {
	return func(next catalog.Service) catalog.Service { return guardedCatalog{next, g} }
}

type guardedCatalog struct {
	next   catalog.Service
	guards CatalogGuards
}

func (c guardedCatalog) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return Call(ctx, c.guards.List, func(ctx context.Context) (contract.Page, error) { return c.next.List(ctx, q) })
}

func (c guardedCatalog) Get(ctx context.Context, id int64) (contract.Movie, error) {
	return Call(ctx, c.guards.Read, func(ctx context.Context) (contract.Movie, error) { return c.next.Get(ctx, id) })
}

func (c guardedCatalog) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	return Call(ctx, c.guards.Write, func(ctx context.Context) (contract.Movie, error) { return c.next.Create(ctx, in) })
}

func (c guardedCatalog) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	return Call(ctx, c.guards.Write, func(ctx context.Context) (contract.Movie, error) { return c.next.Replace(ctx, id, in) })
}

func (c guardedCatalog) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	return Call(ctx, c.guards.Write, func(ctx context.Context) (contract.Movie, error) { return c.next.Patch(ctx, id, p) })
}

func (c guardedCatalog) Delete(ctx context.Context, id int64) error {
	_, err := Call(ctx, c.guards.Write, func(ctx context.Context) (struct{}, error) { return struct{}{}, c.next.Delete(ctx, id) })
	return err
}

func (c guardedCatalog) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	return Call(ctx, c.guards.Read, func(ctx context.Context) (contract.ChangePage, error) { return c.next.Changes(ctx, after, limit) })
}

// Auth guards every call to auth-svc.
func Auth(g *Guard) func(auth.Service) auth.Service {
	return func(next auth.Service) auth.Service { return guardedAuth{next, g} }
}

type guardedAuth struct {
	next  auth.Service
	guard *Guard
}

func (a guardedAuth) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	return Call(ctx, a.guard, func(ctx context.Context) (contract.TokenResponse, error) { return a.next.Login(ctx, c) })
}

func (a guardedAuth) Revoke(ctx context.Context, token string) error {
	_, err := Call(ctx, a.guard, func(ctx context.Context) (struct{}, error) { return struct{}{}, a.next.Revoke(ctx, token) })
	return err
}

func (a guardedAuth) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	return Call(ctx, a.guard, func(ctx context.Context) (contract.Identity, error) { return a.next.Introspect(ctx, token) })
}

func (a guardedAuth) CreateUser(ctx context.Context, u contract.NewUser) (contract.User, error) {
	return Call(ctx, a.guard, func(ctx context.Context) (contract.User, error) { return a.next.CreateUser(ctx, u) })
}

// Searcher is the search service as the gateway calls it: search-svc's
// search.Service (in-process or its HTTP client) is one.
type Searcher interface {
	// List answers a list query with ?search= in the list's shape.
	List(ctx context.Context, q contract.ListQuery) (contract.Page, error)
	// Search answers GET /api/search/: hits, facets and an estimated total.
	Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error)
}

// Search guards a search service's calls.
func Search(g *Guard) func(Searcher) Searcher {
	return func(next Searcher) Searcher { return guardedSearch{next, g} }
}

type guardedSearch struct {
	next  Searcher
	guard *Guard
}

func (s guardedSearch) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return Call(ctx, s.guard, func(ctx context.Context) (contract.Page, error) { return s.next.List(ctx, q) })
}

func (s guardedSearch) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	return Call(ctx, s.guard, func(ctx context.Context) (contract.SearchResult, error) { return s.next.Search(ctx, q) })
}
