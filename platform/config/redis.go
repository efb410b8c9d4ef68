package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Redis is how a service reaches Redis: where, as whom, and over what.
// A service embeds it under its own prefix (`envPrefix:"GATEWAY_REDIS_"`
// gives MOVIES_GATEWAY_REDIS_ADDR, ..._USERNAME, ..._PASSWORD, ..._DB and
// ..._TLS_*), so every Redis user of the platform takes the same settings.
type Redis struct {
	// Addr is Redis as host:port; empty means no Redis.
	Addr string `env:"ADDR"`
	// Username is the ACL user (Redis 6+); empty logs in as "default"
	// with Password alone (requirepass).
	Username string `env:"USERNAME"`
	Password string `env:"PASSWORD" secret:"true"`
	DB       int    `env:"DB" envDefault:"0"`
	TLS      TLS    `envPrefix:"TLS_"`
}

// TLS is a client's TLS to a data store: the CA that signs the server's
// certificate, the name to check it against, and an optional client
// certificate (mutual TLS).
type TLS struct {
	Enabled bool `env:"ENABLED" envDefault:"false"`
	// CAFile is PEM CA certificates to trust instead of the system's.
	CAFile string `env:"CA_FILE"`
	// ServerName is checked against the server's certificate; empty
	// means the host of the address.
	ServerName string `env:"SERVER_NAME"`
	// CertFile and KeyFile are the client's PEM certificate and key, both
	// or neither.
	CertFile string `env:"CERT_FILE"`
	KeyFile  string `env:"KEY_FILE"`
}

// Config builds the tls.Config t describes (TLS 1.2 or later, the server's
// certificate always verified), or nil when TLS is off. Files are read
// now, so a missing or unreadable one fails the start, not the first call.
func (t TLS) Config() (*tls.Config, error) {
	if !t.Enabled {
		if t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" {
			return nil, errors.New("TLS settings given but TLS_ENABLED is false")
		}
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA %s: no PEM certificate in it", t.CAFile)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("TLS client certificate: CERT_FILE and KEY_FILE go together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
