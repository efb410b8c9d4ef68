package readyourwrites_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/readyourwrites"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/platform/sqldb"
)

// routeLog records whether each read reached it asking for the primary.
type routeLog struct {
	catalog.Service // unused methods panic
	primary         []bool
	failWrites      bool
}

func (r *routeLog) Get(ctx context.Context, _ int64) (contract.Movie, error) {
	r.primary = append(r.primary, readpref.Primary(ctx))
	return contract.Movie{}, nil
}

func (r *routeLog) Patch(context.Context, int64, contract.MovieWrite) (contract.Movie, error) {
	if r.failWrites {
		return contract.Movie{}, errors.New("connection lost after commit, maybe")
	}
	return contract.Movie{}, nil
}

func TestReadYourWritesSendsTheWritersReadsToThePrimary(t *testing.T) {
	log := &routeLog{}
	svc := catalog.MakeEndpoints(log).Use(readyourwrites.Middleware(readyourwrites.Local(sqldb.NewRecentWriters(time.Hour)))).Service()
	alice, bob := catalog.WithActor(context.Background(), "alice"), catalog.WithActor(context.Background(), "bob")
	read := func(ctx context.Context) bool {
		t.Helper()
		if _, err := svc.Get(ctx, 1); err != nil {
			t.Fatal(err)
		}
		return log.primary[len(log.primary)-1]
	}

	if read(alice) {
		t.Error("alice has not written yet, and reads from the primary")
	}
	if _, err := svc.Patch(alice, 1, contract.MovieWrite{}); err != nil {
		t.Fatal(err)
	}
	if !read(alice) {
		t.Error("alice's read after her write is not sent to the primary")
	}
	if read(bob) || read(context.Background()) {
		t.Error("reads of others are sent to the primary")
	}

	log.failWrites = true
	if _, err := svc.Patch(bob, 1, contract.MovieWrite{}); err == nil {
		t.Fatal("the failed write succeeded")
	}
	if !read(bob) {
		t.Error("after a write that failed (and may have committed) bob does not read from the primary")
	}
}
