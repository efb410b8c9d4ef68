package servicetoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTTL bounds a token's life: a token copied from a log or a packet
// capture is worth a minute at most. Verifiers refuse longer-lived ones.
const MaxTTL = 60 * time.Second

// Leeway is the clock skew between hosts a verifier forgives.
const Leeway = 5 * time.Second

// Actor is the user a service acts for.
type Actor struct {
	Username string
	Admin    bool
}

// Caller is a verified credential: the calling service and, when it acts for
// one, the user.
type Caller struct {
	Service string
	Actor   Actor
}

// claims is the token's payload: the registered claims and whether the
// actor (sub) is an admin.
type claims struct {
	jwt.RegisteredClaims
	Admin bool `json:"adm,omitempty"`
}

// Signer mints this service's tokens. A token for one audience and actor is
// reused until half its life has passed, so a call costs a map look-up, not
// a signature.
type Signer struct {
	issuer string
	kid    string
	key    ed25519.PrivateKey
	ttl    time.Duration
	now    func() time.Time

	mu     sync.Mutex
	minted map[mintKey]mintedToken
}

type mintKey struct {
	audience string
	actor    Actor
}

type mintedToken struct {
	token   string
	renewAt time.Time
}

// maxMinted bounds the reusable tokens a signer keeps; past it they are all
// dropped (actors are admins and services, so this is never reached in
// normal use, only by a caller cycling through many usernames).
const maxMinted = 4096

// NewSigner signs as issuer with key; ttl is the tokens' life (0 or more
// than MaxTTL means MaxTTL).
func NewSigner(issuer string, key ed25519.PrivateKey, ttl time.Duration) (*Signer, error) {
	if !validIssuer(issuer) {
		return nil, fmt.Errorf("issuer %q: want lower-case letters, digits and -", issuer)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("signer: no Ed25519 private key")
	}
	if ttl <= 0 || ttl > MaxTTL {
		ttl = MaxTTL
	}
	return &Signer{
		issuer: issuer, key: key, ttl: ttl, now: time.Now,
		kid:    KeyID(key.Public().(ed25519.PublicKey)),
		minted: map[mintKey]mintedToken{},
	}, nil
}

// Issuer is the service the signer speaks for.
func (s *Signer) Issuer() string { return s.issuer }

// PublicKey is the key verifiers must trust for s.Issuer().
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Token is a token for a call to audience on behalf of actor (zero: the
// service itself).
func (s *Signer) Token(audience string, actor Actor) (string, error) {
	k := mintKey{audience, actor}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.minted[k]; ok && now.Before(m.renewAt) {
		return m.token, nil
	}
	tok, err := s.Mint(audience, actor, now)
	if err != nil {
		return "", err
	}
	if len(s.minted) >= maxMinted {
		clear(s.minted)
	}
	s.minted[k] = mintedToken{token: tok, renewAt: now.Add(s.ttl / 2)}
	return tok, nil
}

// Mint signs a new token issued at now, bypassing the reuse of Token.
func (s *Signer) Mint(audience string, actor Actor, now time.Time) (string, error) {
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   actor.Username,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
			ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Admin: actor.Admin,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.kid
	return t.SignedString(s.key)
}

// Verifier checks tokens addressed to one service. A verified token is
// remembered until it expires, so the many calls that reuse one token (see
// Signer.Token) cost one signature check between them.
type Verifier struct {
	audience string
	keys     KeySet
	now      func() time.Time
	parser   *jwt.Parser

	mu       sync.Mutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	caller  Caller
	expires time.Time
}

// maxVerified bounds the verified tokens a verifier remembers; past it they
// are all dropped (a few per caller and actor are live at a time).
const maxVerified = 4096

// NewVerifier verifies tokens for audience signed by a key of keys.
func NewVerifier(audience string, keys KeySet) *Verifier {
	v := &Verifier{audience: audience, keys: keys, now: time.Now, verified: map[string]verifiedToken{}}
	v.parser = jwt.NewParser(
		// Only EdDSA: no "none", and no HS256 with a public key as its
		// secret (the algorithm confusion attack).
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// Verification failures. They are not shown to callers (every one is the
// same 401), only logged.
var (
	errUnknownKey = errors.New("unknown key id")
	errIssuer     = errors.New("issuer does not own the key")
	errLifetime   = errors.New("token lives longer than MaxTTL")
)

// Verify returns who presents raw, or why it is refused.
func (v *Verifier) Verify(raw string) (Caller, error) {
	now := v.now()
	v.mu.Lock()
	hit, ok := v.verified[raw]
	v.mu.Unlock()
	if ok {
		if now.Before(hit.expires.Add(Leeway)) {
			return hit.caller, nil
		}
		v.mu.Lock()
		delete(v.verified, raw)
		v.mu.Unlock()
	}
	var c claims
	_, err := v.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := v.keys[kid]
		if !ok {
			return nil, errUnknownKey
		}
		iss, _ := t.Claims.GetIssuer()
		if iss != k.issuer {
			return nil, errIssuer
		}
		return k.key, nil
	})
	if err != nil {
		return Caller{}, err
	}
	if c.IssuedAt == nil || c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxTTL {
		return Caller{}, errLifetime
	}
	caller := Caller{Service: c.Issuer, Actor: Actor{Username: c.Subject, Admin: c.Admin}}
	v.mu.Lock()
	if len(v.verified) >= maxVerified {
		clear(v.verified)
	}
	v.verified[raw] = verifiedToken{caller: caller, expires: c.ExpiresAt.Time}
	v.mu.Unlock()
	return caller, nil
}
