package attack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// CheckLoopback refuses a target that is not on this machine's loopback
// (127.0.0.0/8 or ::1): a load test is never pointed at anyone else's
// servers, by mistake or otherwise. Host names are refused, "localhost"
// included, so no resolver can send the traffic elsewhere.
func CheckLoopback(target string) (*url.URL, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: want an http:// or https:// URL", target)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("target %q: only loopback addresses (127.0.0.0/8, ::1) may be load tested", target)
	}
	return u, nil
}

// loopbackOnly is a dialer control that refuses any connection leaving the
// loopback, so not even a redirect can take the load elsewhere.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
	}
	return nil
}

// Client is an HTTP client that only connects to loopback addresses and
// follows no redirects, for the calls a run makes around the load (login,
// warming).
func Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DialContext: dialer()},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// dialer makes the load's connections, loopback only.
func dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Control: loopbackOnly}
	return d.DialContext
}
