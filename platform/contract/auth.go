package contract

import (
	"net/url"
	"strconv"
	"time"
)

// Credentials is the body of POST /api/auth/token/ (JSON or form).
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// TokenResponse is the answer of a login, as DRF's obtain_auth_token gives it.
type TokenResponse struct {
	Token string `json:"token"`
}

// Identity is who a token belongs to.
type Identity struct {
	Username string `json:"username"`
	IsAdmin  bool   `json:"is_admin"`
}

// Anonymous reports whether the identity is the anonymous one.
func (i Identity) Anonymous() bool { return i.Username == "" }

// IntrospectRequest asks auth-svc who a token belongs to.
type IntrospectRequest struct {
	Token string `json:"token"`
}

// NewUser is the body of POST /api/auth/users/.
type NewUser struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	IsAdmin  *bool   `json:"is_admin"`
}

// User is a user as the API shows it (never with a password). IsActive is
// Django's name: an inactive (disabled) user cannot log in and their tokens
// are refused.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	IsAdmin  bool   `json:"is_admin"`
	IsActive bool   `json:"is_active"`
}

// TokenInfo is one of a user's tokens as GET /api/auth/tokens/ lists it:
// never the token itself. ID names it for DELETE /api/auth/tokens/{id}/.
// Expires is when it stops working unless used before: the earlier of its
// absolute expiry and its idle expiry counted from LastUsed (or Created).
type TokenInfo struct {
	ID       string     `json:"id"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used"`
	Expires  time.Time  `json:"expires"`
}

// UserChange is the body of PATCH /api/auth/users/{id}/: the fields to
// change, the others left as they are.
type UserChange struct {
	IsAdmin  *bool `json:"is_admin"`
	IsActive *bool `json:"is_active"`
}

// UserListQuery is a page request of GET /api/auth/users/: the users with
// an id above After, by id, at most PageSize.
type UserListQuery struct {
	After    int64
	PageSize int
}

// Bounds of a user list page.
const (
	DefaultUserPageSize = 100
	MaxUserPageSize     = 500
)

// ParseUserListQuery reads ?after=&page_size=; a bad value is a field error.
func ParseUserListQuery(v url.Values) (UserListQuery, map[string][]string) {
	q := UserListQuery{PageSize: DefaultUserPageSize}
	bad := map[string][]string{}
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad["after"] = []string{"A valid non-negative integer is required."}
		}
		q.After = n
	}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxUserPageSize {
			bad["page_size"] = []string{"Ensure this value is an integer from 1 to " + strconv.Itoa(MaxUserPageSize) + "."}
		}
		q.PageSize = n
	}
	if len(bad) > 0 {
		return UserListQuery{}, bad
	}
	return q, nil
}

// Values is q as query parameters, for the HTTP client and Link headers.
func (q UserListQuery) Values() url.Values {
	v := url.Values{}
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.PageSize > 0 {
		v.Set("page_size", strconv.Itoa(q.PageSize))
	}
	return v
}

// UserPage is a page of users; Next, when non-zero, is the After of the
// next page.
type UserPage struct {
	Users []User `json:"users"`
	Next  int64  `json:"next,omitempty"`
}

// TokenPath is the path of one of the caller's tokens.
func TokenPath(id string) string { return "/api/auth/tokens/" + url.PathEscape(id) + "/" }

// UserPath is the path of one user.
func UserPath(id int64) string { return "/api/auth/users/" + itoa(id) + "/" }

// UserTokensPath is the path of every token of one user.
func UserTokensPath(id int64) string { return UserPath(id) + "tokens/" }
