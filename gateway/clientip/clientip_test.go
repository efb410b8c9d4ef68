package clientip_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviesplatform/gateway/clientip"
)

// clientCase is a request (peer, X-Forwarded-For lines) and the client r
// should find in it.
type clientCase struct {
	name   string
	r      clientip.Resolver
	peer   string
	xff    []string
	client string
}

func checkClients(t *testing.T, cases []clientCase) {
	t.Helper()
	for _, tc := range cases {
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

func TestClientAddr(t *testing.T) {
	none, _ := clientip.NewResolver(nil)
	ingress, err := clientip.NewResolver([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	checkClients(t, []clientCase{
		{"no proxy trusted: a forged header from loopback is ignored", none, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1"},
		{"no proxy trusted: a private peer is the client", none, "10.1.2.3:5000", []string{"203.0.113.9"}, "10.1.2.3"},
		{"an untrusted public peer is the client", ingress, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"a trusted proxy names the client", ingress, "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"hops the client forged sit left of the proxy's", ingress, "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies is walked", ingress, "10.1.2.3:5000", []string{"203.0.113.9, 192.0.2.7", "10.9.9.9"}, "203.0.113.9"},
		{"a malformed hop stops the walk at the last trusted one", ingress, "10.1.2.3:5000", []string{"junk"}, "10.1.2.3"},
		{"no header from a trusted proxy", ingress, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"IPv6 peer", none, "[::1]:5000", nil, "::1"},
	})
}

// TestClientAddrByHops: with N proxies in front, the client is the Nth
// address from the right of X-Forwarded-For and the peer (the peer is the
// 0th), whatever the client wrote left of it, and never beyond the list.
func TestClientAddrByHops(t *testing.T) {
	one, _ := clientip.NewHopResolver(1)
	two, _ := clientip.NewHopResolver(2)
	off, _ := clientip.NewHopResolver(0)
	checkClients(t, []clientCase{
		{"one hop: the proxy's entry is the client", one, "10.0.0.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"one hop: spoofed leftmost entries are ignored", one, "10.0.0.1:5000", []string{"1.1.1.1, 8.8.8.8, 203.0.113.9"}, "203.0.113.9"},
		{"one hop: a spoofed header line before the proxy's", one, "10.0.0.1:5000", []string{"1.1.1.1", "203.0.113.9"}, "203.0.113.9"},
		{"one hop: any peer is the proxy, public or not", one, "198.51.100.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"two hops: the first proxy's entry", two, "10.0.0.1:5000", []string{"1.1.1.1, 203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"two hops over two header lines", two, "10.0.0.1:5000", []string{"1.1.1.1, 203.0.113.9", "10.0.0.2"}, "203.0.113.9"},
		{"two hops, short list: the leftmost, not beyond", two, "10.0.0.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"one hop, no header: the peer", one, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"two hops, no header: the peer", two, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"one hop: a junk entry stops the walk at the peer", one, "10.0.0.1:5000", []string{"junk"}, "10.0.0.1"},
		{"two hops: junk left of the proxy's entry stops there", two, "10.0.0.1:5000", []string{"<script>, 203.0.113.9"}, "203.0.113.9"},
		{"two hops: an empty entry stops the walk", two, "10.0.0.1:5000", []string{"1.1.1.1,,10.0.0.2"}, "10.0.0.2"},
		{"one hop: an entry with a port is junk", one, "10.0.0.1:5000", []string{"203.0.113.9:443"}, "10.0.0.1"},
		{"one hop: IPv6 entry", one, "[fd00::1]:5000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"one hop: IPv4-mapped entry", one, "10.0.0.1:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"zero hops: the header is ignored", off, "10.0.0.1:5000", []string{"203.0.113.9"}, "10.0.0.1"},
	})
	req := httptest.NewRequest("GET", "/", nil)
	if !one.FromTrustedProxy(req) || off.FromTrustedProxy(req) {
		t.Error("with a hop count every peer is the proxy; with none, none is")
	}
}

func TestConfigure(t *testing.T) {
	if _, err := clientip.NewHopResolver(-1); err == nil {
		t.Error("negative hops accepted")
	}
	if _, err := clientip.Configure([]string{"10.0.0.0/8"}, 1); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("CIDRs and hops both set: %v, want an error saying so", err)
	}
	if _, err := clientip.Configure([]string{"junk"}, 0); err == nil {
		t.Error("junk CIDR accepted")
	}
	for _, tc := range []struct {
		cidrs []string
		hops  int
		want  string
	}{
		{nil, 0, "10.0.0.1"},
		{[]string{""}, 1, "203.0.113.9"}, // an empty list entry names no proxy
		{[]string{"10.0.0.0/8"}, 0, "203.0.113.9"},
		{nil, 1, "203.0.113.9"},
	} {
		r, err := clientip.Configure(tc.cidrs, tc.hops)
		if err != nil {
			t.Fatalf("%v, %d: %v", tc.cidrs, tc.hops, err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "10.0.0.1:5000"
		req.Header.Set("X-Forwarded-For", "1.1.1.1, 203.0.113.9")
		if got := r.ClientAddr(req); got != tc.want {
			t.Errorf("%v, %d: %s, want %s", tc.cidrs, tc.hops, got, tc.want)
		}
	}
}

func TestNewResolverRefusesJunk(t *testing.T) {
	if _, err := clientip.NewResolver([]string{"10.0.0.0/8", "not-a-cidr"}); err == nil {
		t.Fatal("junk accepted")
	}
}
