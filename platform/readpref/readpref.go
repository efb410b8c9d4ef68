// Package readpref carries a read preference in a context: whether a read
// must come from the primary database rather than a replica that may lag.
// Callers mark the context without knowing where reads go; the database
// layer (sqldb.Cluster) honours the mark, and caches in front of it
// should bypass their lookups for a marked context, as an entry filled
// from a replica may be older than what the caller must see.
package readpref

import "context"

type primaryKey struct{}

// WithPrimary marks ctx so that its reads go to the primary: for a caller
// that must see its own recent write, or the current head of the change
// feed.
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// Primary tells whether ctx asks for reads from the primary.
func Primary(ctx context.Context) bool {
	v, _ := ctx.Value(primaryKey{}).(bool)
	return v
}
