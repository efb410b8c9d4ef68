package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestCrash kills a process with SIGKILL while admins create (with
// Idempotency-Key), rename and delete movies, then starts it again: every
// acknowledged write is in the database (every acknowledged delete gone),
// each lost create retried with its key makes exactly one movie, and the
// search index converges on what is stored. Cases: moviesd (every service
// in one process) on SQLite and on MariaDB, and catalog-svc alone on
// MariaDB (the gateway answers 503 meanwhile; search-svc catches up).
func TestCrash(t *testing.T) {
	for _, tc := range []struct {
		layout, victim string
		driver         sqldb.Driver
	}{
		{"single", "moviesd", sqldb.SQLite},
		{"single", "moviesd", sqldb.MySQL},
		{"separate", svcCatalog, sqldb.MySQL},
	} {
		t.Run(tc.victim+"/"+string(tc.driver), func(t *testing.T) {
			i := slices.IndexFunc(layouts, func(l layout) bool { return l.name == tc.layout })
			if i < 0 {
				t.Skipf("the %s layout is not in this run", tc.layout)
			}
			dir := t.TempDir()
			catalogDSN, authDSN := "file:"+filepath.Join(dir, "catalog.db"), "file:"+filepath.Join(dir, "auth.db")
			if tc.driver == sqldb.MySQL {
				catalogDSN, authDSN = sqltest.MySQL(t), sqltest.MySQL(t)
			}
			c := startCluster(t, layouts[i], string(tc.driver), catalogDSN, authDSN)
			admin := login(t, c.Gateway, adminUser, adminPassword)

			w := newWorkload(c, admin)
			w.wait = 5 * time.Millisecond
			stop, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); w.run(stop, 6, 0, 30*time.Second) }()
			// Kill once writes are under way, in the middle of them.
			waitFor(t, 30*time.Second, "acknowledged writes", func() bool { return w.acknowledged()["create"] >= 20 })
			c.kill(c.hostOf(svcCatalog).name)
			time.Sleep(200 * time.Millisecond)
			cancel()
			<-done
			acked := w.acknowledged()

			c.startProcess(c.hostOf(svcCatalog))
			if tc.layout == "single" {
				// The gateway died too: the admin's token is in auth's database.
				admin = login(t, c.Gateway, adminUser, adminPassword)
				w.admin = admin
			}
			w.retryCreates(t, 60*time.Second)
			db, err := sqldb.Open(context.Background(), tc.driver, catalogDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stored := w.checkStore(t, db)
			converged := w.waitSearchConverges(t, stored, 60*time.Second)
			w.mu.Lock()
			lost := len(w.outcomes)
			for _, o := range w.outcomes {
				if o.err == nil && o.status < 500 {
					lost--
				}
			}
			w.mu.Unlock()
			t.Logf("kill -9 %s on %s: acknowledged %v; %d requests without an answer or with a 5xx; "+
				"after restart %d movies stored, all acknowledged writes present; search converged in %s",
				tc.victim, tc.driver, acked, lost, len(stored), converged.Round(10*time.Millisecond))
		})
	}
}
