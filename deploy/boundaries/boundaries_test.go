// Package boundaries checks, from the outside, what each binary links: the
// stateless services carry no SQL driver or migration tool, no binary links
// the testing package (test doubles live in *test packages that only tests
// import), and no module builds on another's private parts.
package boundaries

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// forbidden is what a binary must not link: an import path, or a module
// path whose packages all count ("prefix/...").
type forbidden struct {
	path, why string
}

var (
	sqlAndMigrations = []forbidden{
		{"github.com/go-sql-driver/mysql/...", "a SQL driver in a stateless service"},
		{"modernc.org/sqlite/...", "a SQL driver in a stateless service"},
		{"github.com/pressly/goose/v3/...", "a migration tool in a stateless service"},
	}
	testSupport = []forbidden{
		{"testing", "test support in a production binary"},
	}
)

var binaries = []struct {
	pkg    string
	forbid [][]forbidden
}{
	{"./gateway/cmd/gateway", [][]forbidden{sqlAndMigrations, testSupport}},
	{"./search-svc/cmd/search-svc", [][]forbidden{sqlAndMigrations, testSupport}},
	{"./catalog-svc/cmd/catalog-svc", [][]forbidden{testSupport}},
	{"./auth-svc/cmd/auth-svc", [][]forbidden{testSupport}},
	{"./moviesd", [][]forbidden{testSupport}},
	{"./loadtest/cmd/loadtest", [][]forbidden{testSupport}},
}

func TestBinariesLinkOnlyWhatTheyNeed(t *testing.T) {
	root := repoRoot(t)
	for _, b := range binaries {
		t.Run(strings.TrimPrefix(b.pkg, "./"), func(t *testing.T) {
			t.Parallel()
			g := importGraph(t, root, b.pkg)
			for _, group := range b.forbid {
				for _, f := range group {
					if chain := g.pathTo(f.path); chain != nil {
						t.Errorf("%s links %s: %s, through\n\t%s", b.pkg, f.path, f.why, strings.Join(chain, "\n\t-> "))
					}
				}
			}
		})
	}
}

// graph is a binary's packages and what each imports.
type graph struct {
	main    string
	imports map[string][]string
}

func importGraph(t *testing.T, root, pkg string) graph {
	g := graph{imports: map[string][]string{}}
	// -deps lists dependencies before dependents: the main package last.
	for _, l := range goList(t, root, "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg) {
		fields := strings.Fields(l)
		g.main = fields[0]
		g.imports[fields[0]] = fields[1:]
	}
	return g
}

// pathTo returns the shortest import chain from the main package to a
// package that matches path (an import path, or a tree when it ends in
// "/..."), or nil when none is linked.
func (g graph) pathTo(path string) []string {
	prefix, tree := strings.CutSuffix(path, "/...")
	match := func(p string) bool { return p == prefix || tree && strings.HasPrefix(p, prefix+"/") }
	from := map[string]string{g.main: ""}
	queue := []string{g.main}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if match(p) {
			var chain []string
			for ; p != ""; p = from[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range g.imports[p] {
			if _, seen := from[imp]; !seen {
				from[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// Tests may import other modules' test-support packages, never their
// insides: search-svc's tests do not run the catalog's importer, and no
// package outside catalog-svc touches its store.
func TestModulesKeepToEachOthersPublicParts(t *testing.T) {
	root := repoRoot(t)
	rules := []struct {
		pattern string
		banned  []string
	}{
		{"./search-svc/...", []string{"github.com/moviesplatform/catalog-svc/importer", "github.com/moviesplatform/catalog-svc/store"}},
		{"./loadtest/...", []string{"github.com/moviesplatform/catalog-svc/store"}},
		{"./gateway/...", []string{"github.com/moviesplatform/catalog-svc/store", "github.com/moviesplatform/search-svc/engine/bleveengine"}},
	}
	for _, r := range rules {
		t.Run(strings.TrimPrefix(r.pattern, "./"), func(t *testing.T) {
			t.Parallel()
			// Direct imports of the module's packages and their tests.
			lines := goList(t, root, "-test", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, r.pattern)
			for _, l := range lines {
				fields := strings.Fields(l)
				for _, imp := range fields[1:] {
					if slices.Contains(r.banned, imp) {
						t.Errorf("%s imports %s", fields[0], imp)
					}
				}
			}
		})
	}
}

func goList(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// repoRoot is the directory of go.work, two levels above this file.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
