// Command bare-http is the ceiling a cached detail GET is compared with: a
// plain net/http server answering every request with the same bytes,
// fetched once from a URL (e.g. the gateway's /api/movie/1/) or read from a
// file. No routing, middleware, cache lookup or logging: what is left is
// Go's HTTP stack on this machine.
//
// Usage: bare-http -addr 127.0.0.1:9090 -from http://127.0.0.1:8080/api/movie/1/
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/moviesplatform/loadtest/attack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bare-http:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9090", "listen address")
	from := flag.String("from", "", "URL whose answer to serve (loopback only)")
	file := flag.String("file", "", "file whose bytes to serve, instead of -from")
	flag.Parse()
	body, ctype, err := load(*from, *file)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(body))
	fmt.Fprintf(os.Stderr, "bare-http: serving %d bytes (%s) on %s\n", len(body), ctype, *addr)
	srv := &http.Server{
		Addr:              *addr,
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Content-Length", length)
			w.Write(body)
		}),
	}
	return srv.ListenAndServe()
}

func load(from, file string) ([]byte, string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		return b, "application/json", err
	}
	if _, err := attack.CheckLoopback(from); err != nil {
		return nil, "", fmt.Errorf("-from: %w", err)
	}
	resp, err := attack.Client(10 * time.Second).Get(from)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", from, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header.Get("Content-Type"), err
}
