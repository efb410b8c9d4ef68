package servicetoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T) ed25519.PrivateKey { return newKeyTB(t) }

func newKeyTB(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signer(t *testing.T, issuer string, k ed25519.PrivateKey) *Signer {
	t.Helper()
	s, err := NewSigner(issuer, k, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keys(t *testing.T, pairs ...any) KeySet {
	t.Helper()
	ks := KeySet{}
	for i := 0; i < len(pairs); i += 2 {
		if err := ks.Add(pairs[i].(string), pairs[i+1].(ed25519.PrivateKey).Public().(ed25519.PublicKey)); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

func TestVerifyAcceptsAndRefuses(t *testing.T) {
	gwKey, searchKey, other := newKey(t), newKey(t), newKey(t)
	gw := signer(t, "gateway", gwKey)
	v := NewVerifier("catalog", keys(t, "gateway", gwKey, "search", searchKey))
	now := time.Now()
	admin := Actor{Username: "alice", Admin: true}

	good, err := gw.Token("catalog", admin)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(good)
	if err != nil || c.Service != "gateway" || c.Actor != admin {
		t.Fatalf("good token: %+v, %v", c, err)
	}

	sign := func(method jwt.SigningMethod, key any, kid string, cl claims) string {
		tok := jwt.NewWithClaims(method, cl)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := func(iss, aud string, iat, exp time.Time) claims {
		return claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: iss, Audience: jwt.ClaimStrings{aud}, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
		}}
	}
	gwKid := KeyID(gwKey.Public().(ed25519.PublicKey))
	pubBytes := []byte(gwKey.Public().(ed25519.PublicKey))
	expiredTok, _ := gw.Mint("catalog", Actor{}, now.Add(-2*time.Minute))
	wrongAud, _ := gw.Mint("auth", Actor{}, now)
	unknown, _ := signer(t, "gateway", other).Mint("catalog", Actor{}, now)
	// The search key signing a token that says it is the gateway.
	impostor := sign(jwt.SigningMethodEdDSA, searchKey, KeyID(searchKey.Public().(ed25519.PublicKey)), base("gateway", "catalog", now, now.Add(time.Minute)))
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"alice"`, `"mallory"`, 1))) + "." + parts[2]
	none := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, gwKid, base("gateway", "catalog", now, now.Add(time.Minute)))
	hs := sign(jwt.SigningMethodHS256, pubBytes, gwKid, base("gateway", "catalog", now, now.Add(time.Minute)))
	longLived := sign(jwt.SigningMethodEdDSA, gwKey, gwKid, base("gateway", "catalog", now, now.Add(time.Hour)))
	noExp := sign(jwt.SigningMethodEdDSA, gwKey, gwKid, claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "gateway", Audience: jwt.ClaimStrings{"catalog"}, IssuedAt: jwt.NewNumericDate(now)}})
	noKid := sign(jwt.SigningMethodEdDSA, gwKey, "", base("gateway", "catalog", now, now.Add(time.Minute)))

	for name, tok := range map[string]string{
		"expired": expiredTok, "wrong audience": wrongAud, "unknown kid": unknown, "issuer not the key's": impostor,
		"tampered": tampered, "alg none": none, "HS256 keyed with the public key": hs, "lives an hour": longLived,
		"no exp": noExp, "no kid": noKid, "garbage": "a.b.c", "empty": "",
	} {
		if c, err := v.Verify(tok); err == nil {
			t.Errorf("%s: verified as %+v", name, c)
		}
	}
}

func TestSignerReusesThenRenews(t *testing.T) {
	s := signer(t, "gateway", newKey(t))
	now := time.Now()
	s.now = func() time.Time { return now }
	a, _ := s.Token("catalog", Actor{})
	b, _ := s.Token("catalog", Actor{})
	other, _ := s.Token("catalog", Actor{Username: "alice", Admin: true})
	if a != b || a == other {
		t.Fatal("a token is not reused for the same audience and actor, or is for another actor")
	}
	now = now.Add(MaxTTL/2 + time.Second)
	c, _ := s.Token("catalog", Actor{})
	if c == a {
		t.Fatal("a token past half its life was not renewed")
	}
	v := NewVerifier("catalog", KeySet{})
	_ = v.keys.Add("gateway", s.PublicKey())
	v.now = func() time.Time { return now }
	if _, err := v.Verify(c); err != nil {
		t.Fatal(err)
	}
	// A remembered token still expires.
	now = now.Add(MaxTTL + Leeway + time.Second)
	if _, err := v.Verify(c); err == nil {
		t.Fatal("an expired token was accepted from the verifier's memory")
	}
}

func TestKeyRotation(t *testing.T) {
	old, next := newKey(t), newKey(t)
	v := NewVerifier("catalog", keys(t, "gateway", old, "gateway", next))
	for _, k := range []ed25519.PrivateKey{old, next} {
		tok, _ := signer(t, "gateway", k).Token("catalog", Actor{})
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("a key of the rotation is refused: %v", err)
		}
	}
	if err := (KeySet{}).Add("BAD issuer", old.Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("a bad issuer name was accepted")
	}
	ks := keys(t, "gateway", old)
	if err := ks.Add("search", old.Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("one key trusted for two issuers")
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	for _, iss := range []string{"gateway", "search"} {
		if err := GenerateKeyFiles(dir, iss); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := os.ReadFile(filepath.Join(dir, "gateway.key"))
	if err := GenerateKeyFiles(dir, "gateway"); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "gateway.key")); string(again) != string(first) {
		t.Fatal("an existing key pair was replaced")
	}
	// A rotated key beside the first, in base64, and files to ignore.
	_, next := newKey(t), newKey(t)
	_ = os.WriteFile(filepath.Join(dir, "gateway.next.pub"), []byte(base64.StdEncoding.EncodeToString(next.Public().(ed25519.PublicKey))+"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "..data"), nil, 0o644)
	ks, err := LoadKeySet(dir)
	if err != nil || len(ks) != 3 {
		t.Fatalf("key set %v, %v", ks, err)
	}
	cfg := Config{KeyFile: filepath.Join(dir, "gateway.key"), TrustedKeys: dir}
	s, err := cfg.Signer("gateway", "MOVIES_GATEWAY_")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Config{TrustedKeys: dir}.Verifier("catalog", "MOVIES_CATALOG_")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []ed25519.PrivateKey{next} {
		tok, _ := signer(t, "gateway", k).Token("catalog", Actor{})
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := s.Token("catalog", Actor{})
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	// The seed in base64 inline is the same key.
	seed := base64.StdEncoding.EncodeToString(next.Seed())
	if s, err := (Config{Key: seed}).Signer("gateway", "MOVIES_GATEWAY_"); err != nil || !s.PublicKey().Equal(next.Public()) {
		t.Fatalf("inline seed: %v", err)
	}
	for name, c := range map[string]Config{
		"none": {}, "both": {Key: seed, KeyFile: cfg.KeyFile}, "bad": {Key: "not a key"},
		"public as private": {KeyFile: filepath.Join(dir, "gateway.pub")}, "long ttl": {Key: seed, TokenTTL: time.Hour},
	} {
		if _, err := c.Signer("gateway", "MOVIES_GATEWAY_"); err == nil || !strings.Contains(err.Error(), "MOVIES_GATEWAY_SERVICE_") {
			t.Errorf("%s: %v, want an error naming the variable", name, err)
		}
	}
	if _, err := (Config{}).Verifier("catalog", "MOVIES_CATALOG_"); err == nil {
		t.Error("a verifier without trusted keys was built")
	}
	if _, err := (Config{TrustedKeys: t.TempDir()}).Verifier("catalog", "MOVIES_CATALOG_"); err == nil {
		t.Error("a verifier trusting no key was built")
	}
}

func TestGuardAndTransport(t *testing.T) {
	gwKey, searchKey, opKey := newKey(t), newKey(t), newKey(t)
	g := NewGuard(NewVerifier("auth", keys(t, "gateway", gwKey, "search", searchKey, Operator, opKey)), nil)
	var seen Caller
	h := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = CallerOf(r.Context())
		if ActorOf(r.Context()) != seen.Actor {
			t.Error("the actor in the context is not the verified one")
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h.Handle("/read", g.Require(Allow("gateway", "search"))(ok))
	h.Handle("/admin", g.Require(AllowAdmin("gateway", Operator))(ok))
	srv := httptest.NewServer(h)
	defer srv.Close()

	admin, user := Actor{Username: "root", Admin: true}, Actor{Username: "bob"}
	call := func(path, header string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	tok := func(k ed25519.PrivateKey, iss, aud string, a Actor) string {
		s, _ := signer(t, iss, k).Token(aud, a)
		return "Bearer " + s
	}
	for _, c := range []struct {
		name, path, header string
		want               int
	}{
		{"no credentials", "/read", "", 401},
		{"a user token scheme", "/read", "Token abc", 401},
		{"bearer without token", "/read", "Bearer", 401},
		{"malformed", "/read", "Bearer not.a.jwt", 401},
		{"wrong audience", "/read", tok(gwKey, "gateway", "catalog", Actor{}), 401},
		{"gateway reads", "/read", tok(gwKey, "gateway", "auth", Actor{}), 204},
		{"search reads", "/read", tok(searchKey, "search", "auth", Actor{}), 204},
		{"operator may not read", "/read", tok(opKey, Operator, "auth", Actor{}), 403},
		{"gateway for an admin", "/admin", tok(gwKey, "gateway", "auth", admin), 204},
		{"gateway for a user", "/admin", tok(gwKey, "gateway", "auth", user), 403},
		{"gateway for nobody", "/admin", tok(gwKey, "gateway", "auth", Actor{}), 403},
		{"search for an admin", "/admin", tok(searchKey, "search", "auth", admin), 403},
		{"operator in person", "/admin", tok(opKey, Operator, "auth", Actor{Username: "ops"}), 204},
	} {
		status, challenge := call(c.path, c.header)
		if status != c.want {
			t.Errorf("%s: %d, want %d", c.name, status, c.want)
		}
		if status >= 400 && !strings.HasPrefix(challenge, realm) {
			t.Errorf("%s: challenge %q", c.name, challenge)
		}
	}

	// The transport presents the context's actor; a refused credential is
	// an error, not the callee's 403.
	client := &http.Client{Transport: signer(t, "gateway", gwKey).Transport("auth", nil)}
	req, _ := http.NewRequestWithContext(WithActor(t.Context(), admin), http.MethodGet, srv.URL+"/admin", nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 204 || seen.Actor != admin || seen.Service != "gateway" {
		t.Fatalf("transport: %v %v, saw %+v", resp, err, seen)
	}
	resp.Body.Close()
	req, _ = http.NewRequestWithContext(WithActor(t.Context(), user), http.MethodGet, srv.URL+"/admin", nil)
	if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "refused gateway's service credential (403") {
		t.Fatalf("refused credential: %v", err)
	}
}
