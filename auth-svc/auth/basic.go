package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/servicetoken"
)

// Options tune the service. The zero value of a field means its default.
type Options struct {
	// BcryptCost is the work factor of new password hashes (bcrypt.DefaultCost).
	BcryptCost int
	// UserThrottle limits failed logins per username from one client (5 at
	// once, then one per 20s).
	UserThrottle ThrottleRule
	// ClientThrottle limits failed logins per client address (20 at once,
	// then one per 3s): it stops one client from trying many usernames.
	ClientThrottle ThrottleRule
	// SharedThrottle, when set, keeps the failed-login buckets in Redis
	// (keys under ThrottleNamespace), so every replica counts the same
	// failures; the buckets in this process decide while Redis fails.
	SharedThrottle    *redisx.Client
	ThrottleNamespace string
	// LoginBackoffCap is the longest progressive delay of one client
	// guessing one username (15 minutes): past UserThrottle's burst, each
	// failure doubles the client's wait for that username, from
	// UserThrottle.Every, until a login succeeds or it stays quiet this long.
	LoginBackoffCap time.Duration
	// MaxThrottled bounds how many usernames and addresses each limiter
	// tracks (10000).
	MaxThrottled int
	// MaxConcurrentHashes bounds the bcrypt comparisons running at once
	// (GOMAXPROCS).
	MaxConcurrentHashes int
	// MaxTokensPerUser bounds the tokens a user has: each login issues one,
	// and the oldest go past this many (100).
	MaxTokensPerUser int
	// TokenMaxAge is how long a token lives from its login, however much
	// it is used (30 days).
	TokenMaxAge time.Duration
	// TokenIdleTimeout is how long a token lives unused (7 days).
	TokenIdleTimeout time.Duration
	// LastUsedStep is how stale a token's recorded last use may get before
	// an introspection writes it again (1 hour, at most a tenth of the idle
	// timeout). A token in steady use then costs one write per step instead
	// of one per request, and the idle timeout is honoured to within a step.
	LastUsedStep time.Duration
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
	if o.LoginBackoffCap <= 0 {
		o.LoginBackoffCap = 15 * time.Minute
	}
	if o.MaxThrottled == 0 {
		o.MaxThrottled = 10000
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if o.MaxTokensPerUser == 0 {
		o.MaxTokensPerUser = 100
	}
	if o.TokenMaxAge <= 0 {
		o.TokenMaxAge = 30 * 24 * time.Hour
	}
	if o.TokenIdleTimeout <= 0 {
		o.TokenIdleTimeout = 7 * 24 * time.Hour
	}
	if o.LastUsedStep <= 0 {
		o.LastUsedStep = time.Hour
	}
	o.LastUsedStep = min(o.LastUsedStep, o.TokenIdleTimeout/10)
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
	// hashing bounds the bcrypt comparisons under way (checkPassword).
	hashing *semaphore.Weighted
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
		hashing:   semaphore.NewWeighted(int64(opts.MaxConcurrentHashes)),
		throttle: loginThrottle{
			byUser:   newFailureLimiter(opts.UserThrottle, opts.MaxThrottled).sharedIn(opts.SharedThrottle, opts.ThrottleNamespace+":login:user:"),
			byClient: newFailureLimiter(opts.ClientThrottle, opts.MaxThrottled).sharedIn(opts.SharedThrottle, opts.ThrottleNamespace+":login:client:"),
			delay:    newBackoff(opts.UserThrottle.Burst, opts.UserThrottle.Every, opts.LoginBackoffCap, opts.MaxThrottled).sharedIn(opts.SharedThrottle, opts.ThrottleNamespace+":login:delay:"),
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
	if utf8.RuneCountInString(username) > MaxUsernameLength {
		// No valid account has it: refused before it becomes a throttle
		// key or a query.
		fields["username"] = []string{msgUsernameLong}
	}
	if len(fields) > 0 {
		return contract.TokenResponse{}, apierr.Validation(fields)
	}
	try, err := s.throttle.begin(ctx, username, ClientAddr(ctx), s.opts.Now())
	if err != nil {
		return contract.TokenResponse{}, err
	}
	u, err := s.store.UserByUsername(ctx, username)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, ErrUserNotFound):
		hash = s.dummyHash
	case err != nil:
		try.succeeded() // our failure, not the client's
		return contract.TokenResponse{}, err
	}
	matches, err := s.checkPassword(ctx, hash, c.Password)
	if err != nil {
		try.succeeded()
		return contract.TokenResponse{}, err
	}
	if !matches || hash == s.dummyHash || u.Disabled {
		// A disabled user's right password is refused alike, as Django
		// refuses an inactive user: it tells a guesser nothing.
		try.failed(s.opts.Now())
		return contract.TokenResponse{}, ErrBadCredentials
	}
	try.loggedIn()
	now := s.opts.Now()
	if err := s.upgradeHash(ctx, u, c.Password); err != nil {
		return contract.TokenResponse{}, err
	}
	token := newToken()
	if err := s.store.CreateToken(ctx, HashToken(token), u.ID, now); err != nil {
		return contract.TokenResponse{}, err
	}
	if err := s.store.PruneTokens(ctx, u.ID, s.opts.MaxTokensPerUser,
		now.Add(-s.opts.TokenMaxAge), now.Add(-s.opts.TokenIdleTimeout)); err != nil {
		return contract.TokenResponse{}, err
	}
	return contract.TokenResponse{Token: token}, nil
}

// checkPassword compares password with hash, at most MaxConcurrentHashes at
// once: bcrypt takes a core for tens of milliseconds by design, so a flood of
// logins waits here (until its deadline, then ErrLoginBusy) instead of
// starving token checks and every other request of CPU.
func (s *BasicService) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	if err := s.hashing.Acquire(ctx, 1); err != nil {
		return false, ErrLoginBusy.Wrap(err)
	}
	defer s.hashing.Release(1)
	return passwordMatches(hash, password), nil
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

// Introspect tells who a token belongs to: ErrInvalidToken for an unknown
// token or a disabled user's, ErrTokenExpired past its expiry. It records
// the token's use when the recorded one is a step old (Options.LastUsedStep).
func (s *BasicService) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	if !wellFormedToken(token) {
		return contract.Identity{}, ErrInvalidToken
	}
	hash := HashToken(token)
	t, u, err := s.store.TokenByHash(ctx, hash)
	if err != nil {
		return contract.Identity{}, err
	}
	if u.Disabled {
		return contract.Identity{}, ErrInvalidToken
	}
	now := s.opts.Now()
	if !now.Before(s.expires(t)) {
		return contract.Identity{}, ErrTokenExpired
	}
	if now.Sub(lastUsed(t)) >= s.opts.LastUsedStep {
		// A failed write only leaves the recorded use a step older, which
		// the token's next use retries: not worth refusing a valid token.
		_ = s.store.TouchToken(ctx, hash, now, now.Add(-s.opts.LastUsedStep))
	}
	return contract.Identity{Username: u.Username, IsAdmin: u.IsAdmin}, nil
}

// lastUsed is when t was last seen in use, its creation when never.
func lastUsed(t TokenRecord) time.Time {
	if t.LastUsedAt.IsZero() {
		return t.CreatedAt
	}
	return t.LastUsedAt
}

// expires is when t stops working unless used before: the earlier of its
// absolute and its idle expiry.
func (s *BasicService) expires(t TokenRecord) time.Time {
	absolute := t.CreatedAt.Add(s.opts.TokenMaxAge)
	idle := lastUsed(t).Add(s.opts.TokenIdleTimeout)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// actor is the user a call acts for (servicetoken.ActorOf), who must exist
// and be active.
func (s *BasicService) actor(ctx context.Context) (UserRecord, error) {
	name := servicetoken.ActorOf(ctx).Username
	if name == "" {
		return UserRecord{}, apierr.ErrForbidden
	}
	u, err := s.store.UserByUsername(ctx, name)
	if errors.Is(err, ErrUserNotFound) || err == nil && u.Disabled {
		return UserRecord{}, apierr.ErrForbidden
	}
	return u, err
}

// requireAdmin lets an operator's own credential through, or an actor who
// is an active admin now: the admin flag in the caller's service token is
// only as fresh as the gateway's token cache, the store is the truth.
func (s *BasicService) requireAdmin(ctx context.Context) error {
	if c, ok := servicetoken.CallerOf(ctx); ok && c.Service == servicetoken.Operator {
		return nil
	}
	u, err := s.actor(ctx)
	if err != nil {
		return err
	}
	if !u.IsAdmin {
		return apierr.ErrForbidden
	}
	return nil
}

// ListTokens lists the actor's live tokens.
func (s *BasicService) ListTokens(ctx context.Context) ([]contract.TokenInfo, error) {
	u, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	records, err := s.store.ListTokens(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	out := []contract.TokenInfo{}
	for _, t := range records {
		exp := s.expires(t)
		if !now.Before(exp) {
			continue // dead already; the next login prunes it
		}
		info := contract.TokenInfo{ID: TokenIDOfHash(t.Hash), Created: t.CreatedAt.UTC(), Expires: exp.UTC()}
		if !t.LastUsedAt.IsZero() {
			used := t.LastUsedAt.UTC()
			info.LastUsed = &used
		}
		out = append(out, info)
	}
	return out, nil
}

// RevokeTokenByID revokes one of the actor's tokens.
func (s *BasicService) RevokeTokenByID(ctx context.Context, id string) error {
	u, err := s.actor(ctx)
	if err != nil {
		return err
	}
	if !validTokenID(id) {
		return ErrTokenNotFound
	}
	return s.store.DeleteUserToken(ctx, u.ID, id)
}

// ListUsers returns a page of users.
func (s *BasicService) ListUsers(ctx context.Context, q contract.UserListQuery) (contract.UserPage, error) {
	if err := s.requireAdmin(ctx); err != nil {
		return contract.UserPage{}, err
	}
	if q.PageSize <= 0 || q.PageSize > contract.MaxUserPageSize {
		q.PageSize = contract.DefaultUserPageSize
	}
	records, err := s.store.ListUsers(ctx, max(q.After, 0), q.PageSize+1)
	if err != nil {
		return contract.UserPage{}, err
	}
	page := contract.UserPage{Users: []contract.User{}}
	if len(records) > q.PageSize {
		records = records[:q.PageSize]
		page.Next = records[len(records)-1].ID
	}
	for _, u := range records {
		page.Users = append(page.Users, publicUser(u))
	}
	return page, nil
}

// ChangeUser changes a user's admin and active flags, keeping at least one
// active admin.
func (s *BasicService) ChangeUser(ctx context.Context, id int64, c contract.UserChange) (contract.User, error) {
	if c.IsAdmin == nil && c.IsActive == nil {
		return contract.User{}, ErrNothingToChange
	}
	if err := s.requireAdmin(ctx); err != nil {
		return contract.User{}, err
	}
	u, err := s.store.ChangeUser(ctx, id, func(cur UserRecord, activeAdmins int) (UserRecord, error) {
		next := cur
		if c.IsAdmin != nil {
			next.IsAdmin = *c.IsAdmin
		}
		if c.IsActive != nil {
			next.Disabled = !*c.IsActive
		}
		activeAdmin := func(u UserRecord) bool { return u.IsAdmin && !u.Disabled }
		if activeAdmin(cur) && !activeAdmin(next) && activeAdmins <= 1 {
			return UserRecord{}, ErrLastAdmin
		}
		return next, nil
	})
	if err != nil {
		return contract.User{}, err
	}
	return publicUser(u), nil
}

// RevokeUserTokens revokes every token of a user.
func (s *BasicService) RevokeUserTokens(ctx context.Context, id int64) (contract.User, error) {
	if err := s.requireAdmin(ctx); err != nil {
		return contract.User{}, err
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return contract.User{}, err
	}
	return publicUser(u), s.store.DeleteUserTokens(ctx, id)
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
	if samePassword && u.IsAdmin && !u.Disabled {
		return publicUser(u), nil
	}
	if !samePassword {
		hash, err := hashPassword(password, s.opts.BcryptCost)
		if err != nil {
			return contract.User{}, err
		}
		if err := s.store.UpdateUser(ctx, u.ID, hash, u.IsAdmin); err != nil {
			return contract.User{}, err
		}
		if err := s.store.DeleteUserTokens(ctx, u.ID); err != nil {
			return contract.User{}, err
		}
	}
	// The operator's account is an active admin whatever was done to it
	// through the API: it is the way back in.
	u, err = s.store.ChangeUser(ctx, u.ID, func(cur UserRecord, _ int) (UserRecord, error) {
		cur.IsAdmin, cur.Disabled = true, false
		return cur, nil
	})
	if err != nil {
		return contract.User{}, err
	}
	return publicUser(u), nil
}

// Ping reports whether the store can serve, for readiness.
func (s *BasicService) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func publicUser(u UserRecord) contract.User {
	return contract.User{ID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin, IsActive: !u.Disabled}
}
