package redisx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
)

func client(t *testing.T, c config.Redis) *redisx.Client {
	t.Helper()
	s, err := redisx.SettingsFor(c)
	if err != nil {
		t.Fatal(err)
	}
	s.Budget, s.BreakerOpen = time.Second, time.Second
	cl := redisx.New(s, redisx.Hooks{})
	t.Cleanup(func() { cl.Close() })
	return cl
}

func set(c *redisx.Client, key string) error {
	return c.Do(context.Background(), "set", func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Set(ctx, key, "v", time.Minute).Err()
	})
}

// The right password or ACL user connects; a wrong or missing one fails
// the readiness check (ErrMisconfigured) and every call. The ACL user
// reaches its namespace only. Redis down is no misconfiguration.
func TestCredentialsAgainstARealRedis(t *testing.T) {
	addr := redistest.StartServer(t, "")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		conf config.Redis
		ok   bool
	}{
		{"requirepass", config.Redis{Addr: addr, Password: redistest.DefaultPassword}, true},
		{"acl user", config.Redis{Addr: addr, Username: redistest.ServiceUser, Password: redistest.ServicePassword}, true},
		{"no password", config.Redis{Addr: addr}, false},
		{"wrong password", config.Redis{Addr: addr, Password: "guess"}, false},
		{"acl user, wrong password", config.Redis{Addr: addr, Username: redistest.ServiceUser, Password: redistest.DefaultPassword}, false},
		{"unknown user", config.Redis{Addr: addr, Username: "nobody", Password: redistest.ServicePassword}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, tc.conf)
			err := c.Credentials(ctx)
			if tc.ok != (err == nil) {
				t.Fatalf("Credentials: %v", err)
			}
			if !tc.ok && !errors.Is(err, redisx.ErrMisconfigured) {
				t.Fatalf("want ErrMisconfigured, got %v", err)
			}
			if err := set(c, "movies:gateway:k"); tc.ok != (err == nil) {
				t.Fatalf("SET: %v", err)
			}
		})
	}
	t.Run("acl user outside its namespace", func(t *testing.T) {
		c := client(t, config.Redis{Addr: addr, Username: redistest.ServiceUser, Password: redistest.ServicePassword})
		if err := set(c, "other:k"); !redis.IsPermissionError(err) {
			t.Fatalf("want NOPERM, got %v", err)
		}
		err := c.Do(ctx, "flush", func(ctx context.Context, rdb *redis.Client) error { return rdb.FlushAll(ctx).Err() })
		if !redis.IsPermissionError(err) {
			t.Fatalf("FLUSHALL: want NOPERM, got %v", err)
		}
	})
	t.Run("redis down", func(t *testing.T) {
		c := client(t, config.Redis{Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)), Password: "x"})
		if err := c.Credentials(ctx); err != nil {
			t.Fatalf("Redis down must not fail readiness: %v", err)
		}
	})
}

// TLS for real: redis-server with a certificate from a CA made here; the
// client trusting that CA connects (with and without a client
// certificate, which the server then requires), one trusting another CA
// or checking another name is refused as a misconfiguration.
func TestTLSAgainstARealRedis(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	other := newCA(t, dir, "other")
	ca.issue(t, dir, "server", "redis.test")
	ca.issue(t, dir, "client", "movies-gateway")
	f := func(n string) string { return filepath.Join(dir, n) }
	tlsAddr := redistest.StartServer(t, fmt.Sprintf("tls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients optional",
		f("server.crt"), f("server.key"), f("ca.crt")))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		tls  config.TLS
		ok   bool
	}{
		{"our CA", config.TLS{Enabled: true, CAFile: f("ca.crt"), ServerName: "redis.test"}, true},
		{"our CA and a client certificate", config.TLS{Enabled: true, CAFile: f("ca.crt"), ServerName: "redis.test",
			CertFile: f("client.crt"), KeyFile: f("client.key")}, true},
		{"another CA", config.TLS{Enabled: true, CAFile: f(other.name + ".crt"), ServerName: "redis.test"}, false},
		{"another name", config.TLS{Enabled: true, CAFile: f("ca.crt"), ServerName: "cache.example"}, false},
		{"system CAs", config.TLS{Enabled: true, ServerName: "redis.test"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, config.Redis{Addr: tlsAddr, Username: redistest.ServiceUser, Password: redistest.ServicePassword, TLS: tc.tls})
			err := c.Credentials(ctx)
			if tc.ok != (err == nil) {
				t.Fatalf("Credentials: %v", err)
			}
			if !tc.ok && !errors.Is(err, redisx.ErrMisconfigured) {
				t.Fatalf("want ErrMisconfigured, got %v", err)
			}
			if err := set(c, "movies:catalog:k"); tc.ok != (err == nil) {
				t.Fatalf("SET: %v", err)
			}
		})
	}
}

type testCA struct {
	name string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, dir, name string) testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	return testCA{name: name, cert: cert, key: key}
}

// issue writes <name>.crt and <name>.key: a leaf for dnsName, good for
// server and client authentication.
func (ca testCA) issue(t *testing.T, dir, name, dnsName string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: dnsName}, DNSNames: []string{dnsName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	writePEM(t, filepath.Join(dir, name+".key"), "PRIVATE KEY", kb)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
