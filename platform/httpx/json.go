// Package httpx holds the HTTP plumbing every service shares: JSON bodies
// with DRF-compatible errors, a method-dispatching router, and middleware.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// MaxBodyBytes bounds every request body; larger ones get 413.
const MaxBodyBytes = 64 << 10

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// NoStore marks an answer that carries a secret (a token): no cache, shared
// or the browser's, may keep it. Pragma is for HTTP/1.0 caches.
func NoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// RequireJSON checks the request's content type is JSON (or absent with no
// body), giving 415 otherwise.
func RequireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return apierr.UnsupportedMediaTypeError("")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return apierr.UnsupportedMediaTypeError(ct)
	}
	return nil
}

// DecodeJSON reads a JSON request body into dst: 415 for another content
// type, 413 past MaxBodyBytes, 400 for malformed JSON, and a field error when
// a value has the wrong type or a key is repeated or in the wrong case
// (checkKeys).
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := RequireJSON(r); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return jsonError(err)
	}
	if err := checkKeys(raw, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil || !isTooLarge(err) {
			return apierr.New(apierr.Invalid, "JSON parse error - trailing data after the JSON value.")
		}
		return apierr.ErrTooLarge
	}
	return nil
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func jsonError(err error) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case isTooLarge(err):
		return apierr.ErrTooLarge
	case errors.As(err, &typeErr) && typeErr.Field != "":
		field := typeErr.Field
		if i := strings.IndexByte(field, '.'); i > 0 {
			field = field[:i]
		}
		return apierr.Validation(map[string][]string{field: {expected(typeErr.Type.Kind().String())}})
	case errors.As(err, &typeErr):
		return apierr.New(apierr.Invalid, "JSON parse error - expected a JSON object.")
	case errors.As(err, &syntaxErr):
		return apierr.Newf(apierr.Invalid, "JSON parse error - %s at offset %d.", syntaxErr.Error(), syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return apierr.New(apierr.Invalid, "JSON parse error - unexpected end of input.")
	default:
		return apierr.New(apierr.Invalid, fmt.Sprintf("JSON parse error - %s.", strings.TrimPrefix(err.Error(), "json: ")))
	}
}

func expected(kind string) string {
	switch kind {
	case "float64", "float32", "int", "int64":
		return "A valid number is required."
	case "string":
		return "Not a valid string."
	case "bool":
		return "Must be a valid boolean."
	case "slice":
		return "Expected a list of items."
	default:
		return "Invalid value."
	}
}
