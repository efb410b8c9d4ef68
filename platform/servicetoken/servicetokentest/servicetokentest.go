// Package servicetokentest gives tests a set of service keys: guards for
// the servers they test and clients that present tokens to them.
package servicetokentest

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/moviesplatform/platform/servicetoken"
)

// Keys holds a signer per issuer, every one trusted by the guards it makes.
type Keys struct {
	t       testing.TB
	signers map[string]*servicetoken.Signer
	keys    map[string]ed25519.PrivateKey
	set     servicetoken.KeySet
}

// New makes a key for each issuer.
func New(t testing.TB, issuers ...string) *Keys {
	t.Helper()
	k := &Keys{t: t, signers: map[string]*servicetoken.Signer{}, keys: map[string]ed25519.PrivateKey{}, set: servicetoken.KeySet{}}
	for _, iss := range issuers {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s, err := servicetoken.NewSigner(iss, priv, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.set.Add(iss, s.PublicKey()); err != nil {
			t.Fatal(err)
		}
		k.signers[iss], k.keys[iss] = s, priv
	}
	return k
}

// Files makes a key for each issuer, as New, and writes every pair into a
// directory (<issuer>.key, <issuer>.pub): a service's trusted keys, and the
// key files of its callers.
func Files(t testing.TB, issuers ...string) (string, *Keys) {
	t.Helper()
	k := New(t, issuers...)
	dir := t.TempDir()
	for iss := range k.signers {
		if err := servicetoken.WriteKeyFiles(dir, iss, k.keys[iss]); err != nil {
			t.Fatal(err)
		}
	}
	return dir, k
}

// Signer is issuer's signer.
func (k *Keys) Signer(issuer string) *servicetoken.Signer { return k.signers[issuer] }

// Guard guards the routes of service, trusting every issuer of k.
func (k *Keys) Guard(service string) *servicetoken.Guard {
	return servicetoken.NewGuard(servicetoken.NewVerifier(service, k.set), nil)
}

// Client is base (nil: http.DefaultClient) presenting issuer's tokens for
// audience.
func (k *Keys) Client(issuer, audience string, base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	c.Transport = k.signers[issuer].Transport(audience, base.Transport)
	return &c
}

// Header is an Authorization header value of issuer for audience, acting
// for actor.
func (k *Keys) Header(issuer, audience string, actor servicetoken.Actor) string {
	tok, err := k.signers[issuer].Token(audience, actor)
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

// ClientAs is Client presenting the token of the issuer that issuerOf names
// for each request: one client for a suite that calls routes of different
// callers (the catalog's reads and its feed, say).
func (k *Keys) ClientAs(issuerOf func(*http.Request) string, audience string, base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	transports := map[string]http.RoundTripper{}
	for iss, s := range k.signers {
		transports[iss] = s.Transport(audience, base.Transport)
	}
	c := *base
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		return transports[issuerOf(r)].RoundTrip(r)
	})
	return &c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var (
	sharedOnce sync.Once
	sharedDir  string
	sharedKeys *Keys
	sharedErr  error
)

// Shared is one key set for every issuer (the services and Operator) for
// the whole test binary, written to a directory as Files does: for tests
// that build servers in helpers with no *testing.T of their own to spare.
func Shared(t testing.TB) (string, *Keys) {
	t.Helper()
	sharedOnce.Do(func() {
		sharedKeys = New(t, servicetoken.Gateway, servicetoken.Catalog, servicetoken.Auth, servicetoken.Search, servicetoken.Operator)
		if sharedDir, sharedErr = os.MkdirTemp("", "servicetokentest-"); sharedErr != nil {
			return
		}
		for iss, k := range sharedKeys.keys {
			if sharedErr = servicetoken.WriteKeyFiles(sharedDir, iss, k); sharedErr != nil {
				return
			}
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedDir, sharedKeys
}
