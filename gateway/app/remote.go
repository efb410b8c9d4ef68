package app

import (
	"errors"
	"net/http"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/catalog-svc/catalog"
)

// remoteCatalog and remoteAuth will build the services' HTTP clients
// (catalog.NewHTTPClient, auth.NewHTTPClient) once those exist; until then
// the services must be passed in Deps.
func remoteCatalog(baseURL string, hc *http.Client) (catalog.Service, error) {
	return nil, errors.New("gateway: no catalog HTTP client yet; pass Deps.Catalog")
}

func remoteAuth(baseURL string, hc *http.Client) (auth.Service, error) {
	return nil, errors.New("gateway: no auth HTTP client yet; pass Deps.Auth")
}
