package clientip_test

import (
	"net/http/httptest"
	"testing"

	"github.com/moviesplatform/gateway/clientip"
)

func TestClientAddr(t *testing.T) {
	none, _ := clientip.NewResolver(nil)
	ingress, err := clientip.NewResolver([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		r      clientip.Resolver
		peer   string
		xff    []string
		client string
	}{
		{"no proxy trusted: a forged header from loopback is ignored", none, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1"},
		{"no proxy trusted: a private peer is the client", none, "10.1.2.3:5000", []string{"203.0.113.9"}, "10.1.2.3"},
		{"an untrusted public peer is the client", ingress, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"a trusted proxy names the client", ingress, "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"hops the client forged sit left of the proxy's", ingress, "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies is walked", ingress, "10.1.2.3:5000", []string{"203.0.113.9, 192.0.2.7", "10.9.9.9"}, "203.0.113.9"},
		{"a malformed hop stops the walk at the last trusted one", ingress, "10.1.2.3:5000", []string{"junk"}, "10.1.2.3"},
		{"no header from a trusted proxy", ingress, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"IPv6 peer", none, "[::1]:5000", nil, "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.r.ClientAddr(req); got != tc.client {
				t.Errorf("got %s, want %s", got, tc.client)
			}
		})
	}
}

func TestNewResolverRefusesJunk(t *testing.T) {
	if _, err := clientip.NewResolver([]string{"10.0.0.0/8", "not-a-cidr"}); err == nil {
		t.Fatal("junk accepted")
	}
}
