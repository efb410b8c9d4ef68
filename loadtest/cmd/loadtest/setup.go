package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/moviesplatform/loadtest/model"
	"github.com/moviesplatform/platform/contract"
)

// session makes the calls around the load: logins and cursor gathering.
type session struct {
	base   string
	client *http.Client
	log    *slog.Logger
}

func (s *session) call(method, path, token string, body any) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (s *session) login(user, password string) (string, error) {
	resp, b, err := s.call("POST", contract.RouteAuthToken, "", contract.Credentials{Username: user, Password: password})
	if err != nil {
		return "", err
	}
	var tok contract.TokenResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.Token == "" {
		return "", fmt.Errorf("login %s: %s %s", user, resp.Status, bytes.TrimSpace(b))
	}
	return tok.Token, nil
}

// userTokens logs n load-test users in, creating them (as the admin) on the
// first run.
func (s *session) userTokens(admin string, n int) ([]string, error) {
	var out []string
	for i := range n {
		user, pw := fmt.Sprintf("loadtest-user-%d", i), fmt.Sprintf("loadtest-password-%d", i)
		tok, err := s.login(user, pw)
		if err != nil {
			isAdmin := false
			resp, b, cerr := s.call("POST", contract.RouteAuthUsers, admin,
				contract.NewUser{Username: &user, Password: &pw, IsAdmin: &isAdmin})
			if cerr != nil {
				return nil, cerr
			}
			if resp.StatusCode != http.StatusCreated {
				return nil, fmt.Errorf("create %s: %s %s", user, resp.Status, bytes.TrimSpace(b))
			}
			if tok, err = s.login(user, pw); err != nil {
				return nil, err
			}
		}
		out = append(out, tok)
	}
	return out, nil
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// next returns the path of the page after the one at path, from the Link
// header (the gateway) or X-Next-Cursor (the catalog itself), or "".
func (s *session) next(path string) (string, error) {
	resp, b, err := s.call("GET", path, "", nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s %s", path, resp.Status, bytes.TrimSpace(b))
	}
	if m := nextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
		u, err := url.Parse(m[1])
		if err != nil {
			return "", err
		}
		return u.RequestURI(), nil
	}
	if c := resp.Header.Get("X-Next-Cursor"); c != "" {
		u, _ := url.Parse(path)
		q := u.Query()
		q.Set(contract.ParamCursor, c)
		u.RawQuery = q.Encode()
		return u.RequestURI(), nil
	}
	return "", nil
}

// walk follows up to pages next-page links from path and returns them.
func (s *session) walk(path string, pages int) ([]string, error) {
	var out []string
	for range pages {
		next, err := s.next(path)
		if err != nil || next == "" {
			return out, err
		}
		out = append(out, next)
		path = next
	}
	return out, nil
}

// warm gathers the cursor pages the model continues: pages 2..4 of the
// default list and of genre lists, and pages right after deep starts. A
// page that fails is logged and skipped: a slow list is a finding of the
// run, not a reason not to run.
func (s *session) warm(m *model.Model, starts []string, deep []string) {
	gather := func(k model.Kind, paths []string, pages int) {
		for _, p := range paths {
			got, err := s.walk(p, pages)
			if err != nil {
				s.log.Warn("warm-up page failed", "kind", k, "path", p, "err", err)
			}
			m.AddCursors(k, got...)
		}
	}
	gather(model.ListCursor, starts, 3)
	gather(model.ListDeep, deep, 2)
}

// adminCredentials come from flags, else MOVIES_ADMIN_USERNAME and
// MOVIES_ADMIN_PASSWORD, else the dev admin file `make run` writes.
func adminCredentials(user, password, file string) (string, string) {
	if user != "" {
		return user, password
	}
	if u := os.Getenv("MOVIES_ADMIN_USERNAME"); u != "" {
		return u, os.Getenv("MOVIES_ADMIN_PASSWORD")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "MOVIES_ADMIN_USERNAME":
			user = v
		case "MOVIES_ADMIN_PASSWORD":
			password = v
		}
	}
	return user, password
}
