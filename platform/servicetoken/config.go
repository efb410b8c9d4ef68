package servicetoken

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Config is one service's identity settings, nested in its configuration
// under the service's prefix (MOVIES_GATEWAY_SERVICE_KEY_FILE, ...).
type Config struct {
	// KeyFile is this service's Ed25519 private key (PEM PKCS #8, or
	// base64 of the seed): a mounted Secret. Key holds the same inline.
	// Needed by a service that calls another over HTTP.
	KeyFile string `env:"SERVICE_KEY_FILE"`
	Key     string `env:"SERVICE_KEY" secret:"true"`
	// TrustedKeys is a directory of <issuer>[.<label>].pub public keys
	// (PEM or base64) of the services and operators allowed to call this
	// one. Needed by a service that serves its port.
	TrustedKeys string `env:"SERVICE_TRUSTED_KEYS"`
	// TokenTTL is the life of the tokens this service presents (at most
	// MaxTTL).
	TokenTTL time.Duration `env:"SERVICE_TOKEN_TTL" envDefault:"60s"`
}

// Signer builds the signer of service from its key; prefix is the
// service's variable prefix ("MOVIES_GATEWAY_"), for errors that name the
// setting to fix.
func (c Config) Signer(service, prefix string) (*Signer, error) {
	variable := prefix + "SERVICE_KEY"
	var data []byte
	switch {
	case c.Key != "" && c.KeyFile != "":
		return nil, fmt.Errorf("set %s or %s_FILE, not both", variable, variable)
	case c.Key != "":
		data = []byte(c.Key)
	case c.KeyFile != "":
		var err error
		if data, err = os.ReadFile(c.KeyFile); err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", variable, err)
		}
	default:
		return nil, fmt.Errorf("%s_FILE (or %s) is required: %s calls other services over HTTP and presents a token signed with it (moviesd keys makes one)", variable, variable, service)
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variable, err)
	}
	if c.TokenTTL > MaxTTL {
		return nil, fmt.Errorf("%sSERVICE_TOKEN_TTL: %s is longer than %s", prefix, c.TokenTTL, MaxTTL)
	}
	return NewSigner(service, key, c.TokenTTL)
}

// Verifier builds the verifier of tokens addressed to service; prefix is as
// for Signer.
func (c Config) Verifier(service, prefix string) (*Verifier, error) {
	variable := prefix + "SERVICE_TRUSTED_KEYS"
	if c.TrustedKeys == "" {
		return nil, errors.New(variable + " is required: " + service + " serves its port only to callers it can authenticate (a directory of <issuer>.pub keys)")
	}
	ks, err := LoadKeySet(c.TrustedKeys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variable, err)
	}
	return NewVerifier(service, ks), nil
}

// Guard is the guard of service's routes, refusals logged on log; prefix is
// as for Signer.
func (c Config) Guard(service, prefix string, log *slog.Logger) (*Guard, error) {
	v, err := c.Verifier(service, prefix)
	if err != nil {
		return nil, err
	}
	return NewGuard(v, log), nil
}
