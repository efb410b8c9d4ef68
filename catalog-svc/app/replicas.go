package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/catalog-svc/readyourwrites"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/sqldb"
)

// replicaReads is the read routing of a catalog with replicas: the cluster
// that picks a database per read, and the read-your-writes window during
// which a writer's reads go to the primary.
type replicaReads struct {
	cluster *sqldb.Cluster
	driver  sqldb.Driver
	// storeOption makes the store read through the cluster.
	storeOption store.Option
	window      time.Duration
}

// middleware sends a recent writer's reads to the primary. With the cache
// on Redis the pods share their writers, so the writer's next read may land
// on any of them; otherwise each pod knows its own writers only, which
// holds the guarantee for one pod.
func (r *replicaReads) middleware(cfg Config, c *cache.Cache, log *slog.Logger) endpointmw.Middleware {
	local := sqldb.NewRecentWriters(r.window)
	shared := c != nil && cfg.Cache.Redis.Addr != ""
	log.Info("catalog read-your-writes", "writers_shared_through_redis", shared)
	if c == nil {
		return readyourwrites.Middleware(readyourwrites.Local(local))
	}
	return readyourwrites.Middleware(c.RecentWriters(local))
}

// openReplicaReads opens cfg.ReplicaDSNs around the primary db, checks
// them once and starts their health checks. It returns nil without
// replicas. Replicas that are down now only stay out of rotation.
func openReplicaReads(ctx context.Context, cfg Config, db *sql.DB, log *slog.Logger, reg prometheus.Registerer, opts ...sqldb.Option) (*replicaReads, error) {
	if len(cfg.ReplicaDSNs) == 0 {
		return nil, nil
	}
	driver, err := sqldb.ParseDriver(cfg.DBDriver)
	if err != nil {
		return nil, err
	}
	replicas, err := sqldb.OpenReplicas(driver, cfg.ReplicaDSNs, opts...)
	if err != nil {
		return nil, fmt.Errorf("MOVIES_CATALOG_DB_REPLICA_DSNS: %w", err)
	}
	maxLag := cfg.ReplicaMaxLag
	if slices.ContainsFunc(cfg.ReplicaDSNs, sqldb.VitessTarget) {
		maxLag = 0 // vtgate answers no replication status; its discovery checks lag
	}
	c, err := sqldb.NewCluster(ctx, db, replicas,
		sqldb.ClusterConfig{MaxLag: maxLag, CheckInterval: cfg.ReplicaCheckInterval}, log, reg)
	if err != nil {
		for _, r := range replicas {
			r.DB.Close()
		}
		return nil, err
	}
	window, err := readYourWritesWindow(cfg.ReadYourWritesWindow, c.MaxStaleness())
	if err != nil {
		c.Close()
		return nil, err
	}
	c.Start()
	log.Info("catalog reads go to replicas", "replicas", len(replicas), "in_rotation", c.Healthy(),
		"max_lag", maxLag, "read_your_writes_window", window)
	return &replicaReads{
		cluster:     c,
		driver:      driver,
		storeOption: store.ReadFrom(c),
		window:      window,
	}, nil
}

// UnboundedLagWindow is the read-your-writes window when the lag check is
// off (behind vtgate) and none is configured: above vtgate's
// --discovery-low-replication-lag (30s), under which vtgate prefers replicas,
// with room for its health stream. Keep vttablet's --unhealthy-threshold
// below it, so that a replica lagging more stops serving.
const UnboundedLagWindow = time.Minute

// readYourWritesWindow is how long a writer reads from the primary: the
// configured window, which must outlast the replicas' staleness bound, or
// by default that bound and a second more (UnboundedLagWindow without one).
func readYourWritesWindow(configured, staleness time.Duration) (time.Duration, error) {
	switch {
	case configured == 0 && staleness == 0:
		return UnboundedLagWindow, nil
	case configured == 0:
		return staleness + time.Second, nil
	case configured <= staleness:
		return 0, fmt.Errorf("MOVIES_CATALOG_READ_YOUR_WRITES_WINDOW=%s does not outlast the replicas' staleness bound %s "+
			"(max lag + check interval + check timeout + 1s)", configured, staleness)
	}
	return configured, nil
}

// status is the /readyz detail on replicas. A catalog whose replicas are all
// out stays ready: its reads go to the primary.
func (r *replicaReads) status(context.Context) any {
	return map[string]any{"in_rotation": r.cluster.Healthy()}
}
