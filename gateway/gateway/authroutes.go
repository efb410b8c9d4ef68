package gateway

import (
	"errors"
	"mime"
	"net/http"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// login is DRF's obtain_auth_token: JSON or form credentials in, a token
// out. Checking them, and the 400 for bad ones, is auth-svc's business.
func (g *Gateway) login(w http.ResponseWriter, r *http.Request) error {
	creds, err := decodeCredentials(w, r)
	if err != nil {
		return err
	}
	// auth-svc throttles failed logins per end client.
	ctx := auth.ContextWithClientAddr(r.Context(), g.clientAddr(r))
	tok, err := g.auth.Login(ctx, creds)
	if err != nil {
		return err
	}
	httpx.NoStore(w.Header())
	return httpx.WriteJSON(w, http.StatusOK, tok)
}

func decodeCredentials(w http.ResponseWriter, r *http.Request) (contract.Credentials, error) {
	var c contract.Credentials
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBodyBytes)
		var err error
		if mt == "multipart/form-data" {
			err = r.ParseMultipartForm(httpx.MaxBodyBytes)
		} else {
			err = r.ParseForm()
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return c, apierr.ErrTooLarge
		case err != nil:
			return c, apierr.New(apierr.Invalid, "Malformed form data.")
		}
		c.Username, c.Password = r.PostFormValue("username"), r.PostFormValue("password")
		return c, nil
	default:
		return c, httpx.DecodeJSON(w, r, &c)
	}
}

// logout revokes the presented token, here and now: this gateway forgets it
// at once; others stop trusting it when their cached answer expires.
func (g *Gateway) logout(w http.ResponseWriter, r *http.Request) error {
	_, token, err := g.user(r)
	if err != nil {
		return err
	}
	err = g.auth.Revoke(r.Context(), token)
	if err == nil || errors.Is(err, apierr.ErrInvalidToken) {
		g.tokens.Forget(token)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *Gateway) me(w http.ResponseWriter, r *http.Request) error {
	id, _, err := g.user(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, id)
}

func (g *Gateway) createUser(w http.ResponseWriter, r *http.Request) error {
	ctx, err := g.admin(r)
	if err != nil {
		return err
	}
	var u contract.NewUser
	if err := httpx.DecodeJSON(w, r, &u); err != nil {
		return err
	}
	created, err := g.auth.CreateUser(ctx, u)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, created)
}
