package httpx_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/httpx"
)

// bodyServer serves an echo of the JSON body behind LimitBody and counts the
// requests the handler saw.
func bodyServer(t *testing.T, reached *atomic.Int32) *httptest.Server {
	t.Helper()
	h := httpx.LimitBody(httpx.MaxBodyBytes, httpx.DrainBytes)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.URL.Path == "/unread" {
			apierr.Encode(r.Context(), apierr.ErrNotProvided, w)
			return
		}
		var v map[string]any
		if err := httpx.DecodeJSON(w, r, &v); err != nil {
			apierr.Encode(r.Context(), err, w)
			return
		}
		_ = httpx.WriteJSON(w, http.StatusOK, v)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// rawPost writes a whole request, as a client that does not wait for
// `100-continue` does, and only then reads the answer.
func rawPost(t *testing.T, addr, head string, body io.Reader) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(conn, body); err != nil {
		t.Fatalf("writing the body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func want413(t *testing.T, resp *http.Response) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the 413's body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Fatalf("status %d, close %v, want 413 and close", resp.StatusCode, resp.Close)
	}
	if want := `{"detail":"` + apierr.MsgTooLarge + `"}` + "\n"; string(b) != want {
		t.Fatalf("body %q, want %q", b, want)
	}
}

func TestOversizedBodyWithoutExpectContinueGets413(t *testing.T) {
	var reached atomic.Int32
	srv := bodyServer(t, &reached)
	addr := srv.Listener.Addr().String()
	const size = 10 << 20
	body := `{"name": "` + strings.Repeat("x", size) + `"}`

	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	want413(t, rawPost(t, addr, head, strings.NewReader(body)))
	if n := reached.Load(); n != 0 {
		t.Fatalf("the handler saw %d requests with a Content-Length over the limit", n)
	}

	// Chunked: the length is known only once read, so the handler's decoder
	// hits the limit and the rest is drained.
	head = fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", addr)
	want413(t, rawPost(t, addr, head, chunked(body, 32<<10)))

	// A handler that answers without reading the body: its answer arrives.
	head = strings.Replace(head, "POST / ", "POST /unread ", 1)
	if resp := rawPost(t, addr, head, chunked(body, 32<<10)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unread chunked body: status %d, want 401", resp.StatusCode)
	}
}

func TestBodyWithinTheLimitKeepsTheConnection(t *testing.T) {
	var reached atomic.Int32
	srv := bodyServer(t, &reached)
	addr := srv.Listener.Addr().String()
	body := `{"name": "x"}`
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", addr)
	resp := rawPost(t, addr, head, chunked(body, 4))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Close || string(b) != `{"name":"x"}`+"\n" {
		t.Fatalf("status %d, close %v, body %q", resp.StatusCode, resp.Close, b)
	}
}

// chunked encodes s in chunks of n bytes.
func chunked(s string, n int) io.Reader {
	var b strings.Builder
	for len(s) > 0 {
		c := s[:min(n, len(s))]
		s = s[len(c):]
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n\r\n")
	return strings.NewReader(b.String())
}
