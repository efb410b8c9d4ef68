package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moviesd refuses a target it does not know, saying which ones it knows,
// before it opens anything.
func TestMoviesdUnknownTarget(t *testing.T) {
	bin := filepath.Join(binDir, "moviesd")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("moviesd is built only for the single layout")
	}
	for _, target := range []string{"nope", "catalog,gatway", "all,search"} {
		cmd := exec.Command(bin, "-target="+target)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "MOVIES_CATALOG_ADDR=127.0.0.1:0", "MOVIES_GATEWAY_ADDR=127.0.0.1:0",
			"MOVIES_AUTH_ADDR=127.0.0.1:0", "MOVIES_SEARCH_ADDR=127.0.0.1:0")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("-target=%s: %v, want exit status 1\n%s", target, err, out)
		}
		if !strings.Contains(string(out), "moviesd: unknown target") ||
			!strings.Contains(string(out), "want all or any of catalog, auth, search, gateway") {
			t.Errorf("-target=%s said:\n%s", target, out)
		}
		if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
			t.Errorf("-target=%s created %v before failing", target, entries)
		}
	}
}
