package cursorsig_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/logging"

	"github.com/moviesplatform/gateway/cursorsig"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func signer(t testing.TB) *cursorsig.Signer {
	t.Helper()
	s, err := cursorsig.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignedCursorsVerifyAndForgedOnesDoNot(t *testing.T) {
	s := signer(t)
	signed := s.Sign(cursorsig.ScopeList, "c.eyJkIjoibiJ9")
	if len(signed) != len("c.eyJkIjoibiJ9")+cursorsig.Overhead {
		t.Fatalf("signed %q: overhead %d, want %d", signed, len(signed)-len("c.eyJkIjoibiJ9"), cursorsig.Overhead)
	}
	if c, ok := s.Verify(cursorsig.ScopeList, signed); !ok || c != "c.eyJkIjoibiJ9" {
		t.Fatalf("own cursor: %q %v", c, ok)
	}
	other, _ := cursorsig.New([]byte(strings.Repeat("k", 32)))
	tag := signed[strings.LastIndexByte(signed, '.')+1:]
	for name, forged := range map[string]string{
		"unsigned":               "c.eyJkIjoibiJ9",
		"the SQL-scan trick":     "c.",
		"empty":                  "",
		"a bare tag":             "." + tag,
		"cursor changed":         "c.eyJkIjoicCJ9." + tag,
		"tag changed":            signed[:len(signed)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(signed, "A")],
		"another route's cursor": s.Sign(cursorsig.ScopeSearch, "c.eyJkIjoibiJ9"),
		"another key's cursor":   other.Sign(cursorsig.ScopeList, "c.eyJkIjoibiJ9"),
		"signed twice":           s.Sign(cursorsig.ScopeList, signed),
	} {
		if c, ok := s.Verify(cursorsig.ScopeList, forged); ok && name != "signed twice" {
			t.Errorf("%s (%q) verified as %q", name, forged, c)
		} else if name == "signed twice" && (!ok || c != signed) {
			t.Errorf("a cursor signed over a signed one: %q %v", c, ok)
		}
	}
	if s.Sign(cursorsig.ScopeList, "") != "" {
		t.Fatal("no page got a cursor")
	}
}

func TestKeysComeFromConfigOrAreGenerated(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cursor-key")
	if err := os.WriteFile(file, append(testKey, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := cursorsig.Config{KeyFile: file}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	inline, err := cursorsig.Config{Key: string(testKey)}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	// The file's trailing newline is not part of the key: both verify each other.
	if _, ok := inline.Verify(cursorsig.ScopeList, fromFile.Sign(cursorsig.ScopeList, "x")); !ok {
		t.Fatal("the same key from a file and inline signs differently")
	}
	for name, c := range map[string]cursorsig.Config{
		"short":   {Key: "short"},
		"both":    {Key: string(testKey), KeyFile: file},
		"missing": {KeyFile: filepath.Join(dir, "absent")},
	} {
		if _, err := c.Signer("MOVIES_GATEWAY_", logging.Discard()); err == nil || !strings.Contains(err.Error(), "MOVIES_GATEWAY_CURSOR_KEY") {
			t.Errorf("%s: %v, want an error naming the variable", name, err)
		}
	}
	a, err := cursorsig.Config{}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cursorsig.Config{}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if _, ok := b.Verify(cursorsig.ScopeList, a.Sign(cursorsig.ScopeList, "x")); ok {
		t.Fatal("two generated keys are the same")
	}
}

// FuzzVerify: whatever a client sends, Verify answers without panicking,
// and accepts only what Sign made: a verified cursor signs back to exactly
// what was sent.
func FuzzVerify(f *testing.F) {
	s := signer(f)
	for _, seed := range []string{
		s.Sign(cursorsig.ScopeList, "c.eyJkIjoibiJ9"), s.Sign(cursorsig.ScopeList, "s.c2VhcmNoOjEwMA"),
		"", ".", "c.", "c..", "..x", "c.eyJkIjoibiJ9", strings.Repeat(".", 50), "\x00.\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		c, ok := s.Verify(cursorsig.ScopeList, sent)
		if ok && s.Sign(cursorsig.ScopeList, c) != sent {
			t.Fatalf("%q verified as %q, which signs as %q", sent, c, s.Sign(cursorsig.ScopeList, c))
		}
	})
}

// TestGeneratedKeyFileIsKept: `moviesd keys` writes a key every replica can
// read, and running it again keeps it, so cursors already handed out stay valid.
func TestGeneratedKeyFileIsKept(t *testing.T) {
	dir := t.TempDir()
	if err := cursorsig.GenerateKeyFile(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, cursorsig.KeyFileName)
	first, err := cursorsig.Config{KeyFile: file}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	signed := first.Sign(cursorsig.ScopeList, "x")
	if err := cursorsig.GenerateKeyFile(dir); err != nil {
		t.Fatal(err)
	}
	again, err := cursorsig.Config{KeyFile: file}.Signer("MOVIES_GATEWAY_", logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Verify(cursorsig.ScopeList, signed); !ok {
		t.Fatal("a second GenerateKeyFile replaced the key")
	}
}
