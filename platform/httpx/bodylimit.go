package httpx

import (
	"io"
	"net/http"

	"github.com/moviesplatform/platform/apierr"
)

// DrainBytes bounds how much of an oversized HTTP/1 body is read and thrown
// away before the 413 goes out. A client that sends its body without
// `Expect: 100-continue` reads the answer only after it has written the
// body; closing on it with unread data makes the kernel reset the connection
// and the client sees that instead of its 413. Past this bound the server
// still answers and closes, and the client may see the reset again: the
// bound is what an abusive client can make the server read per request.
const DrainBytes = 16 << 20

// LimitBody answers 413 for a request body over limit and closes the
// connection. A declared Content-Length over limit is refused before the
// handler runs; a chunked body is cut at limit, so the handler's reads fail
// with *http.MaxBytesError (the 413 the decoders already give). Either way,
// and when a handler answers without reading a chunked body, up to drain
// bytes are discarded first so that the client reads the answer.
func LimitBody(limit, drain int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				closeAfter(w, r)
				discard(r, r.Body, drain)
				apierr.Encode(r.Context(), apierr.ErrTooLarge, w)
				return
			}
			if r.ContentLength >= 0 {
				// The server never reads past a declared length.
				next.ServeHTTP(w, r)
				return
			}
			orig := r.Body
			body := &cutBody{ReadCloser: orig, limit: limit, left: limit, onCut: func() { closeAfter(w, r) }}
			r.Body = body
			next.ServeHTTP(w, r)
			// Past the limit (the handler wrote its 413) or not read at all
			// (a 401 before decoding, say), the rest goes before the answer,
			// which is still in the buffer until the handler returns.
			discard(r, orig, drain)
		})
	}
}

// closeAfter asks for the connection to close after the answer, since the
// rest of the body will not be read. HTTP/2 resets only the stream.
func closeAfter(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
}

func discard(r *http.Request, body io.Reader, drain int64) {
	if r.ProtoMajor == 1 {
		_, _ = io.CopyN(io.Discard, body, drain)
	}
}

// cutBody fails reads past left bytes as http.MaxBytesReader does, but
// reports the cut to its owner instead of to the server's own writer, which
// middleware wrapping the ResponseWriter would hide.
type cutBody struct {
	io.ReadCloser
	limit int64
	left  int64
	cut   bool
	onCut func()
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.cut {
		return 0, &http.MaxBytesError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.cut = true
	b.onCut()
	return n, &http.MaxBytesError{Limit: b.limit}
}
