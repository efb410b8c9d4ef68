// Package servicetoken is the identity of one service to another: each
// service holds its own Ed25519 key and presents a short-lived signed JWT
// (RFC 7519, EdDSA) on every internal call, naming itself (iss), the service
// it calls (aud) and, when it acts for a user, that user (sub, and adm for an
// admin). The callee verifies it against the public keys it trusts, keyed by
// key id (kid) so keys can be rotated without a flag day, and authorises per
// route and caller. docs/security.md says why this and not mTLS.
package servicetoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Operator is the issuer of credentials people use (moviesd token): a
// reindex, a look at the change feed.
const Operator = "operator"

// ParsePrivateKey reads an Ed25519 private key: PEM ("PRIVATE KEY", PKCS #8,
// as openssl genpkey -algorithm ed25519 writes it) or base64 (standard or
// URL alphabet) of the 32-byte seed or the 64-byte key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		ed, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key: %T, want Ed25519", k)
		}
		return ed, nil
	}
	raw, err := decodeBase64(data)
	if err != nil {
		return nil, fmt.Errorf("private key: neither PEM nor base64: %w", err)
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		k := ed25519.PrivateKey(raw)
		// The second half is the public key; a key whose halves disagree
		// would sign tokens its own public key does not verify.
		if !ed25519.NewKeyFromSeed(k.Seed()).Equal(k) {
			return nil, errors.New("private key: the 64 bytes are not a consistent Ed25519 key")
		}
		return k, nil
	default:
		return nil, fmt.Errorf("private key: %d bytes, want a %d-byte seed or a %d-byte key", len(raw), ed25519.SeedSize, ed25519.PrivateKeySize)
	}
}

// ParsePublicKey reads an Ed25519 public key: PEM ("PUBLIC KEY", PKIX) or
// base64 of its 32 bytes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		ed, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key: %T, want Ed25519", k)
		}
		return ed, nil
	}
	raw, err := decodeBase64(data)
	if err != nil {
		return nil, fmt.Errorf("public key: neither PEM nor base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key: %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

func decodeBase64(data []byte) ([]byte, error) {
	s := strings.TrimSpace(string(data))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	return nil, errors.New("not base64")
}

// KeyID is the key id of a public key: its RFC 7638 JWK thumbprint. Derived
// from the key, it needs no configuration, and a new key is a new id.
func KeyID(pub ed25519.PublicKey) string {
	jwk := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(jwk))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Public key files in a trusted-keys directory are named
// <issuer>[.<label>].pub: several files per issuer are several keys, one
// of them new during a rotation.
const publicKeySuffix = ".pub"

// LoadKeySet reads every <issuer>[.<label>].pub file of dir (a mounted
// Secret or ConfigMap; other files, such as Kubernetes' ..data links, are
// ignored).
func LoadKeySet(dir string) (KeySet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return KeySet{}, fmt.Errorf("trusted keys: %w", err)
	}
	ks := KeySet{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, publicKeySuffix) {
			continue
		}
		issuer, _, _ := strings.Cut(strings.TrimSuffix(name, publicKeySuffix), ".")
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return KeySet{}, fmt.Errorf("trusted keys: %w", err)
		}
		pub, err := ParsePublicKey(data)
		if err != nil {
			return KeySet{}, fmt.Errorf("trusted keys: %s: %w", name, err)
		}
		if err := ks.Add(issuer, pub); err != nil {
			return KeySet{}, fmt.Errorf("trusted keys: %s: %w", name, err)
		}
	}
	if len(ks) == 0 {
		return KeySet{}, fmt.Errorf("trusted keys: no <issuer>%s file in %s", publicKeySuffix, dir)
	}
	return ks, nil
}

// GenerateKeyFiles writes a new key pair for issuer into dir:
// <issuer>.key (PEM PKCS #8, mode 0600) and <issuer>.pub (PEM PKIX). An
// existing pair is kept, so a development setup generates its keys once.
func GenerateKeyFiles(dir, issuer string) error {
	if !validIssuer(issuer) {
		return fmt.Errorf("issuer %q: want lower-case letters, digits and -", issuer)
	}
	keyPath, pubPath := filepath.Join(dir, issuer+".key"), filepath.Join(dir, issuer+publicKeySuffix)
	if _, err := os.Stat(keyPath); err == nil {
		if _, err := os.Stat(pubPath); err == nil {
			return nil
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	return WriteKeyFiles(dir, issuer, priv)
}

// WriteKeyFiles writes key as issuer's pair into dir, as GenerateKeyFiles
// names them.
func WriteKeyFiles(dir, issuer string, key ed25519.PrivateKey) error {
	keyPath, pubPath := filepath.Join(dir, issuer+".key"), filepath.Join(dir, issuer+publicKeySuffix)
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
}

func validIssuer(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// trustedKey is one verification key and the only issuer it may sign for.
type trustedKey struct {
	issuer string
	key    ed25519.PublicKey
}

// KeySet is what a verifier trusts: key id → public key and its issuer. A
// key signs for one issuer only, so the catalog's key cannot be used to
// speak as the gateway.
type KeySet map[string]trustedKey

// Add trusts pub for issuer.
func (ks KeySet) Add(issuer string, pub ed25519.PublicKey) error {
	if !validIssuer(issuer) {
		return fmt.Errorf("issuer %q: want lower-case letters, digits and -", issuer)
	}
	kid := KeyID(pub)
	if prev, ok := ks[kid]; ok && prev.issuer != issuer {
		return fmt.Errorf("one key trusted for both %s and %s", prev.issuer, issuer)
	}
	ks[kid] = trustedKey{issuer: issuer, key: pub}
	return nil
}

// The services, as issuers and audiences.
const (
	Gateway = "gateway"
	Catalog = "catalog"
	Auth    = "auth"
	Search  = "search"
)
