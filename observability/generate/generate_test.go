package generate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const root = "../.."

// The committed rules and dashboards are what the code generates: change
// observability/ and forget `go generate ./...`, and this fails.
func TestGeneratedFilesAreFresh(t *testing.T) {
	files, err := Files(root)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("%s: %v (run `go generate ./...` in observability/)", rel, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./...` in observability/", rel)
		}
	}
	committed, _ := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	for _, p := range committed {
		rel, _ := filepath.Rel(root, p)
		if _, ok := files[rel]; !ok {
			t.Errorf("%s is no longer generated: run `go generate ./...` in observability/", rel)
		}
	}
}
