package memengine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A snapshot of an index with a tail, updates and deletions loads back as
// the same index: same docs, cursor and answers, and further writes land as
// they would have on the original.
func TestSnapshotRoundTrip(t *testing.T) {
	an := newAnalyzer()
	ix := changedIndex(t, an)
	snap := &snapshotter{path: filepath.Join(t.TempDir(), "index.snapshot")}
	if err := snap.save(ix); err != nil {
		t.Fatal(err)
	}
	loaded, err := snap.load(an)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.cursor != ix.cursor || loaded.ordered != ix.ordered || loaded.dictLen != ix.dictLen ||
		!loaded.alive.Equals(ix.alive) || !reflect.DeepEqual(loaded.liveMovies(), ix.liveMovies()) ||
		!reflect.DeepEqual(loaded.tailByID, ix.tailByID) || !reflect.DeepEqual(loaded.idOrder, ix.idOrder) {
		t.Fatalf("loaded index differs: cursor %d/%d, ordered %d/%d, dictionary %d/%d terms, %d/%d live",
			loaded.cursor, ix.cursor, loaded.ordered, ix.ordered, loaded.dictLen, ix.dictLen,
			loaded.alive.GetCardinality(), ix.alive.GetCardinality())
	}
	assertSameAnswers(t, loaded, ix)

	// Renumbering the loaded index gives the same index as renumbering
	// the original: the derived maps were rebuilt right.
	want, err := ix.renumbered()
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.renumbered()
	if err != nil {
		t.Fatal(err)
	}
	assertSameAnswers(t, got, want)
}

// A damaged or truncated snapshot, or one of the old gob format, is set
// aside: the engine opens empty at cursor 0, so the indexer reindexes from
// the feed instead of search staying down.
func TestUnusableSnapshotFallsBackToReindex(t *testing.T) {
	ix := changedIndex(t, newAnalyzer())
	dir := t.TempDir()
	good := filepath.Join(dir, "good.snapshot")
	if err := (&snapshotter{path: good}).save(ix); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	for name, content := range map[string][]byte{
		"truncated":     data[:len(data)*2/3],
		"a flipped bit": flipped,
		"empty":         nil,
		"old format":    []byte("\x1f\xff\x81\x03\x01\x01\x08snapshot"),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "index.snapshot")
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := (&snapshotter{path: path}).load(newAnalyzer()); err == nil {
				t.Fatal("load accepted it")
			}
			e, err := Open(Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			if n, _ := e.Count(ctx); n != 0 {
				t.Errorf("count %d, want 0", n)
			}
			if c, _ := e.Cursor(ctx); c != 0 {
				t.Errorf("cursor %d, want 0", c)
			}
		})
	}
}
