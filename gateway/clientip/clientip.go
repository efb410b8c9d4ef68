// Package clientip tells the end client's address of a request, trusting
// X-Forwarded-For only as far as the configured proxies vouch for it.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. Its zero value trusts no
// proxy: the client is the peer, whatever headers it sends.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver trusts the proxies in cidrs ("10.0.0.0/8", "192.0.2.7"): a
// peer among them may name the client in X-Forwarded-For.
func NewResolver(cidrs []string) (Resolver, error) {
	var r Resolver
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return Resolver{}, fmt.Errorf("trusted proxy %q: not an address or CIDR", c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

func (r Resolver) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the request's client: the peer, unless the peer is a trusted
// proxy, in which case X-Forwarded-For is read from the right, each trusted
// hop passing on to the one before, and the first untrusted (or malformed,
// or leftmost) hop is the client. A client cannot forge its way past a
// proxy: the hops it wrote itself sit left of the ones the proxies appended.
func (r Resolver) ClientAddr(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if !r.trusts(peer) {
		return peer.Unmap().String()
	}
	client := peer
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && r.trusts(client); i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = hop
	}
	return client.Unmap().String()
}

// FromTrustedProxy tells whether req's peer is a trusted proxy, whose
// X-Forwarded-* headers may then be believed.
func (r Resolver) FromTrustedProxy(req *http.Request) bool {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && r.trusts(peer)
}
