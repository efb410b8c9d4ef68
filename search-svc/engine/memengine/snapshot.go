package memengine

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/moviesplatform/platform/contract"
)

// snapshotVersion changes when the snapshot's layout does; a snapshot of
// another version is ignored and the indexer rebuilds from the feed.
const snapshotVersion = 1

// snapshot is what the file holds: the live movies and the feed cursor they
// reflect, written together so a reload can only replay, never skip.
type snapshot struct {
	Version int
	Cursor  int64
	Movies  []contract.Movie
}

// snapshotter reads and writes the snapshot file; "" keeps nothing.
type snapshotter struct{ path string }

func (s *snapshotter) load() ([]contract.Movie, int64, error) {
	if s.path == "" {
		return nil, 0, nil
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("memengine: snapshot: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&snap); err != nil {
		return nil, 0, fmt.Errorf("memengine: snapshot %s: %w", s.path, err)
	}
	if snap.Version != snapshotVersion {
		return nil, 0, nil
	}
	return snap.Movies, snap.Cursor, nil
}

// save replaces the snapshot atomically: a crash leaves the old one or the
// new one, never a torn file.
func (s *snapshotter) save(movies []contract.Movie, cursor int64) error {
	if s.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	t, err := renameio.NewPendingFile(s.path)
	if err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	defer t.Cleanup()
	w := bufio.NewWriterSize(t, 1<<20)
	if err := gob.NewEncoder(w).Encode(snapshot{Version: snapshotVersion, Cursor: cursor, Movies: movies}); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	return nil
}
