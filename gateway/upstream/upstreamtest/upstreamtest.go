// Package upstreamtest stands in for upstreams that fail at the network
// level, for the gateway's tests of its guards: a port nothing listens on,
// a server that never answers.
package upstreamtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ClosedURL is the base URL of a loopback port nothing listens on: an
// upstream that is really down.
func ClosedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// HangingServer is an upstream that accepts requests and never answers
// until the caller gives up or the test ends.
func HangingServer(t testing.TB) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}
