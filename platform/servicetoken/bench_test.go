package servicetoken

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkServiceAuth prices each side of a call: the caller's token (a
// reused one, and a fresh signature), the callee's check (a token seen
// before, and a signature check), and the whole guard around a handler
// against the bare handler.
//
//	cd platform && go test ./servicetoken -run '^$' -bench ServiceAuth -benchmem -count 3
func BenchmarkServiceAuth(b *testing.B) {
	s, err := NewSigner(Gateway, newKeyTB(b), 0)
	if err != nil {
		b.Fatal(err)
	}
	ks := KeySet{}
	_ = ks.Add(Gateway, s.PublicKey())
	v := NewVerifier(Catalog, ks)
	admin := Actor{Username: "admin", Admin: true}
	tok, _ := s.Token(Catalog, admin)

	b.Run("sign/reused", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Token(Catalog, admin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign/fresh", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Mint(Catalog, admin, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/seen", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/signature", func(b *testing.B) {
		for b.Loop() {
			if _, err := NewVerifier(Catalog, ks).Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	guarded := NewGuard(v, nil).Require(Allow(Gateway))(ok)
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"handler/bare", ok}, {"handler/guarded", guarded}} {
		b.Run(h.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/movie/5/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
