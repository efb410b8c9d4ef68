package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// Options tune the service. The zero value of a field means its default.
type Options struct {
	// BcryptCost is the work factor of new password hashes (bcrypt.DefaultCost).
	BcryptCost int
	// UserThrottle limits failed logins per username (5 at once, then one
	// per 20s).
	UserThrottle ThrottleRule
	// ClientThrottle limits failed logins per client address (20 at once,
	// then one per 3s): it stops one client from trying many usernames.
	ClientThrottle ThrottleRule
	// MaxThrottled bounds how many usernames and addresses each limiter
	// tracks (10000).
	MaxThrottled int
	// MaxTokensPerUser bounds the tokens a user has: each login issues one,
	// and the oldest go past this many (100).
	MaxTokensPerUser int
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.UserThrottle == (ThrottleRule{}) {
		o.UserThrottle = ThrottleRule{Burst: 5, Every: 20 * time.Second}
	}
	if o.ClientThrottle == (ThrottleRule{}) {
		o.ClientThrottle = ThrottleRule{Burst: 20, Every: 3 * time.Second}
	}
	if o.MaxThrottled == 0 {
		o.MaxThrottled = 10000
	}
	if o.MaxTokensPerUser == 0 {
		o.MaxTokensPerUser = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// BasicService is the service's business logic over a Store.
type BasicService struct {
	store Store
	opts  Options
	// dummyHash is compared against when a username is unknown, so an
	// unknown username costs as much as a wrong password and response times
	// do not reveal which usernames exist.
	dummyHash string
	throttle  loginThrottle
}

var _ Service = (*BasicService)(nil)

// NewBasicService returns the service's logic over store, without
// middlewares (New adds them). Beyond Service it can ensure the operator's
// admin account, which only the process that owns the database does.
func NewBasicService(store Store, opts Options) (*BasicService, error) {
	opts = opts.withDefaults()
	dummy, err := hashPassword(newToken(), opts.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("auth: bcrypt cost %d: %w", opts.BcryptCost, err)
	}
	return &BasicService{
		store:     store,
		opts:      opts,
		dummyHash: dummy,
		throttle: loginThrottle{
			byUser:   newFailureLimiter(opts.UserThrottle, opts.MaxThrottled),
			byClient: newFailureLimiter(opts.ClientThrottle, opts.MaxThrottled),
		},
	}, nil
}

// Login checks credentials and issues a new token. Like DRF's
// obtain_auth_token, a missing field is a field error and any wrong
// combination is ErrBadCredentials, whichever half was wrong.
func (s *BasicService) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	username := strings.TrimSpace(c.Username) // DRF trims the username, never the password
	fields := map[string][]string{}
	if username == "" {
		fields["username"] = []string{apierr.MsgRequired}
	}
	if c.Password == "" {
		fields["password"] = []string{apierr.MsgRequired}
	}
	if len(fields) > 0 {
		return contract.TokenResponse{}, apierr.Validation(fields)
	}
	client, now := ClientAddr(ctx), s.opts.Now()
	if err := s.throttle.check(username, client, now); err != nil {
		return contract.TokenResponse{}, err
	}
	u, err := s.store.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, ErrUserNotFound):
		passwordMatches(s.dummyHash, c.Password)
		s.throttle.fail(username, client, now)
		return contract.TokenResponse{}, ErrBadCredentials
	case err != nil:
		return contract.TokenResponse{}, err
	}
	if !passwordMatches(u.PasswordHash, c.Password) {
		s.throttle.fail(username, client, now)
		return contract.TokenResponse{}, ErrBadCredentials
	}
	if err := s.upgradeHash(ctx, u, c.Password); err != nil {
		return contract.TokenResponse{}, err
	}
	token := newToken()
	if err := s.store.CreateToken(ctx, HashToken(token), u.ID, now); err != nil {
		return contract.TokenResponse{}, err
	}
	if err := s.store.PruneTokens(ctx, u.ID, s.opts.MaxTokensPerUser); err != nil {
		return contract.TokenResponse{}, err
	}
	return contract.TokenResponse{Token: token}, nil
}

// upgradeHash rehashes a password whose hash has another cost than the
// configured one, as Django does at login: raising the cost reaches every
// active user without a reset.
func (s *BasicService) upgradeHash(ctx context.Context, u UserRecord, password string) error {
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || cost == s.opts.BcryptCost {
		return nil
	}
	hash, err := hashPassword(password, s.opts.BcryptCost)
	if err != nil {
		return err
	}
	return s.store.UpdateUser(ctx, u.ID, hash, u.IsAdmin)
}

// Revoke deletes a token.
func (s *BasicService) Revoke(ctx context.Context, token string) error {
	if !wellFormedToken(token) {
		return ErrInvalidToken
	}
	return s.store.DeleteToken(ctx, HashToken(token))
}

// Introspect tells who a token belongs to.
func (s *BasicService) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	if !wellFormedToken(token) {
		return contract.Identity{}, ErrInvalidToken
	}
	u, err := s.store.UserByToken(ctx, HashToken(token))
	if err != nil {
		return contract.Identity{}, err
	}
	return contract.Identity{Username: u.Username, IsAdmin: u.IsAdmin}, nil
}

// CreateUser validates and adds a user.
func (s *BasicService) CreateUser(ctx context.Context, nu contract.NewUser) (contract.User, error) {
	if err := validateNewUser(nu.Username, nu.Password); err != nil {
		return contract.User{}, err
	}
	hash, err := hashPassword(*nu.Password, s.opts.BcryptCost)
	if err != nil {
		return contract.User{}, err
	}
	u, err := s.store.CreateUser(ctx, UserRecord{
		Username:     normalizeUsername(*nu.Username),
		PasswordHash: hash,
		IsAdmin:      nu.IsAdmin != nil && *nu.IsAdmin,
		CreatedAt:    s.opts.Now(),
	})
	if err != nil {
		return contract.User{}, err
	}
	return publicUser(u), nil
}

// EnsureAdmin makes username an admin whose password is password: it creates
// the user, or fixes the password and the admin flag of an existing one. A
// changed password revokes the user's tokens, since a reset usually means
// the old one leaked. Starting again with the same settings changes nothing,
// so replicas may all run it.
func (s *BasicService) EnsureAdmin(ctx context.Context, username, password string) (contract.User, error) {
	if err := validateNewUser(&username, &password); err != nil {
		return contract.User{}, fmt.Errorf("admin account: %w", err)
	}
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, ErrUserNotFound) {
		admin := true
		created, cerr := s.CreateUser(ctx, contract.NewUser{Username: &username, Password: &password, IsAdmin: &admin})
		if !errors.Is(cerr, ErrUsernameTaken) {
			return created, cerr
		}
		// Another replica created it first: check that one instead.
		u, err = s.store.UserByUsername(ctx, username)
	}
	if err != nil {
		return contract.User{}, err
	}
	samePassword := passwordMatches(u.PasswordHash, password)
	if samePassword && u.IsAdmin {
		return publicUser(u), nil
	}
	hash := u.PasswordHash
	if !samePassword {
		if hash, err = hashPassword(password, s.opts.BcryptCost); err != nil {
			return contract.User{}, err
		}
	}
	if err := s.store.UpdateUser(ctx, u.ID, hash, true); err != nil {
		return contract.User{}, err
	}
	if !samePassword {
		if err := s.store.DeleteUserTokens(ctx, u.ID); err != nil {
			return contract.User{}, err
		}
	}
	u.IsAdmin = true
	return publicUser(u), nil
}

// Ping reports whether the store can serve, for readiness.
func (s *BasicService) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func publicUser(u UserRecord) contract.User {
	return contract.User{ID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin}
}
