// Package clientip tells the end client's address of a request, trusting
// X-Forwarded-For only as far as the configured proxies vouch for it: the
// proxies named by address (NewResolver), or a fixed number of proxies in
// front of every request (NewHopResolver).
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
	// hops, when above 0, is how many proxies stand in front of every
	// request; trusted is then empty.
	hops int
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

// NewHopResolver trusts the hops proxies in front of every request (0: none,
// the peer is the client): the client is the hops-th address from the right
// of X-Forwarded-For followed by the peer, the peer being the 0th. The walk
// stops early at the leftmost or at a malformed entry, so a short or junk
// list names at most what the proxies appended, never a guess beyond it.
// It suits a gateway that only its proxies can reach (behind a load
// balancer whose addresses change): any peer is taken for the last proxy.
func NewHopResolver(hops int) (Resolver, error) {
	if hops < 0 {
		return Resolver{}, fmt.Errorf("trusted proxy hops %d: want 0 or more", hops)
	}
	return Resolver{hops: hops}, nil
}

// Configure is the resolver for the two ways to trust proxies, which do
// not combine: by address (cidrs, see NewResolver) or by count (hops, see
// NewHopResolver). Both set is an error, since either could be the one
// the operator meant; neither trusts no proxy.
func Configure(cidrs []string, hops int) (Resolver, error) {
	r, err := NewResolver(cidrs)
	if err != nil || hops == 0 {
		return r, err
	}
	if len(r.trusted) > 0 {
		return Resolver{}, fmt.Errorf("trusted proxies by address and a hop count (%d) are both set: set one", hops)
	}
	return NewHopResolver(hops)
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
// or leftmost) hop is the client. With a hop count, the walk takes that
// many steps from the peer instead, stopping early the same way. A client
// cannot forge its way past a proxy: the hops it wrote itself sit left of
// the ones the proxies appended.
func (r Resolver) ClientAddr(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	client := peer
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i, steps := len(hops)-1, 0; i >= 0 && r.vouches(client, steps); i, steps = i-1, steps+1 {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = hop
	}
	return client.Unmap().String()
}

// vouches tells whether client, reached after steps steps of the walk from
// the peer, is a proxy whose X-Forwarded-For entry may be believed.
func (r Resolver) vouches(client netip.Addr, steps int) bool {
	if r.hops > 0 {
		return steps < r.hops
	}
	return r.trusts(client)
}

// FromTrustedProxy tells whether req's peer is a trusted proxy, whose
// X-Forwarded-* headers may then be believed: with a hop count, every peer
// is.
func (r Resolver) FromTrustedProxy(req *http.Request) bool {
	if r.hops > 0 {
		return true
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && r.trusts(peer)
}
