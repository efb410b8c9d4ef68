// Package cursorsig signs the page cursors the gateway hands out and
// verifies the ones clients send back (HMAC-SHA256, RFC 2104), so a client
// can follow a cursor but not make one. Unsigned, a cursor is a way into the
// stores: `?search=x&cursor=c.` made the gateway skip search-svc and run the
// catalog's SQL scan, and a hand-made keyset cursor picks the rows a query
// starts from. The services behind the gateway keep their own, unsigned
// cursors and still check their shape; only the gateway, the edge, signs.
package cursorsig

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MinKeyBytes is the shortest key accepted: HMAC-SHA256's block of
// strength (RFC 2104 §3 recommends at least the hash's output length).
const MinKeyBytes = 32

// macBytes is the tag's length: HMAC-SHA256 truncated to 128 bits, as
// RFC 4868 does for IPsec; forging one takes 2^128 tries.
const macBytes = 16

// Overhead is how much signing lengthens a cursor: a dot and the tag.
const Overhead = 1 + (macBytes*8+5)/6

// Scope separates the cursors of different routes: a cursor signed for one
// is refused by another.
type Scope string

// The scopes of the gateway's paged routes.
const (
	ScopeList   Scope = "list"   // GET /api/movies/
	ScopeSearch Scope = "search" // GET /api/search/
)

// Signer signs and verifies cursors with one key.
type Signer struct {
	key []byte
}

// New returns a signer keyed with key (at least MinKeyBytes).
func New(key []byte) (*Signer, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("a cursor key needs at least %d bytes, got %d", MinKeyBytes, len(key))
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Generate returns a signer with a random key: cursors it signs are
// refused by any other process, so it is for one process that runs alone
// (make run), never for replicas.
func Generate() *Signer {
	key := make([]byte, MinKeyBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24)
	return &Signer{key: key}
}

// KeyFileName is the cursor key's file in the service-keys directory that
// `moviesd keys` fills and the chart mounts from its Secret.
const KeyFileName = "cursor.key"

// GenerateKeyFile writes a random key to dir/KeyFileName unless one is
// there already, so running `moviesd keys` again keeps every cursor valid.
func GenerateKeyFile(dir string) error {
	path := filepath.Join(dir, KeyFileName)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	key := make([]byte, MinKeyBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600)
}

// Sign returns cursor c with its tag: c + "." + base64url(HMAC(scope, c)).
// An empty cursor (no such page) stays empty.
func (s *Signer) Sign(scope Scope, c string) string {
	if c == "" {
		return ""
	}
	return c + "." + s.tag(scope, c)
}

// Verify returns the cursor signed in signed, if its tag is the one Sign
// gives for scope; ok is false for anything else, the empty string
// included. Only one spelling of each signed cursor verifies, so it can
// key a cache.
func (s *Signer) Verify(scope Scope, signed string) (c string, ok bool) {
	i := strings.LastIndexByte(signed, '.')
	if i <= 0 {
		return "", false
	}
	c, tag := signed[:i], signed[i+1:]
	if subtle.ConstantTimeCompare([]byte(tag), []byte(s.tag(scope, c))) != 1 {
		return "", false
	}
	return c, true
}

func (s *Signer) tag(scope Scope, c string) string {
	m := hmac.New(sha256.New, s.key)
	// The scope, then a byte no scope contains, then the cursor: no two
	// (scope, cursor) pairs hash the same input.
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(c))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macBytes])
}

// Config is where the key comes from, nested in the gateway's configuration
// (MOVIES_GATEWAY_CURSOR_KEY_FILE, MOVIES_GATEWAY_CURSOR_KEY), as the
// service keys are: a mounted Secret, or the value inline.
type Config struct {
	// KeyFile holds the key: at least MinKeyBytes of anything (a random
	// string from a Secret; `openssl rand -base64 32`). Key is the same
	// inline. Every replica must have the same key.
	KeyFile string `env:"CURSOR_KEY_FILE"`
	Key     string `env:"CURSOR_KEY" secret:"true"`
}

// Signer builds the signer from c; prefix is the variables' prefix
// ("MOVIES_GATEWAY_"), for errors that name the setting to fix. With no key
// configured it generates one and says so on log: fine for one process,
// wrong for replicas, whose cursors would not be accepted by each other.
func (c Config) Signer(prefix string, log *slog.Logger) (*Signer, error) {
	variable := prefix + "CURSOR_KEY"
	var key []byte
	switch {
	case c.Key != "" && c.KeyFile != "":
		return nil, fmt.Errorf("set %s or %s_FILE, not both", variable, variable)
	case c.Key != "":
		key = []byte(c.Key)
	case c.KeyFile != "":
		var err error
		if key, err = os.ReadFile(c.KeyFile); err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", variable, err)
		}
		key = []byte(strings.TrimSpace(string(key)))
	default:
		log.Warn("no cursor key configured: one was generated, so page cursors do not survive a restart "+
			"and one replica refuses another's; set "+variable+"_FILE for more than one process", "variable", variable+"_FILE")
		return Generate(), nil
	}
	s, err := New(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variable, err)
	}
	return s, nil
}
