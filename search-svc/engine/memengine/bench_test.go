package memengine_test

import (
	"path/filepath"
	"testing"

	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
	"github.com/moviesplatform/search-svc/engine/memengine"
)

// BenchmarkSynthetic: see enginetest.BenchSynthetic. The reported size is
// the snapshot written at the end of the load.
func BenchmarkSynthetic(b *testing.B) {
	enginetest.BenchSynthetic(b, func(b *testing.B) (engine.Engine, string) {
		dir := b.TempDir()
		e, err := memengine.Open(memengine.Config{Path: filepath.Join(dir, "index.snapshot")})
		if err != nil {
			b.Fatal(err)
		}
		return e, dir
	})
}
