package bleveengine_test

import (
	"testing"

	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
)

// BenchmarkSynthetic: see enginetest.BenchSynthetic. The index is on disk,
// each batch stored durably.
func BenchmarkSynthetic(b *testing.B) {
	enginetest.BenchSynthetic(b, func(b *testing.B) (engine.Engine, string) {
		dir := b.TempDir()
		e, err := bleveengine.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		return e, dir
	})
}
