package contract

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

// User is a user as the API shows it (never with a password).
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	IsAdmin  bool   `json:"is_admin"`
}
