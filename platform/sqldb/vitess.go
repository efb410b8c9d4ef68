package sqldb

import (
	"context"
	"database/sql"
	"strings"
)

// versionTable names a migration version table so that goose finds it
// again behind vtgate. goose asks information_schema for
// "(database() IS NULL OR table_schema = database())", which vtgate does
// not rewrite: database() is "keyspace@primary" there while
// information_schema holds the tablet's "vt_keyspace_0", so goose would
// think the table missing and fail creating it on every start after the
// first. A keyspace-qualified name makes goose ask for table_schema =
// 'keyspace', which vtgate maps to the tablet's schema.
func versionTable(ctx context.Context, db *sql.DB, driver Driver, table string) (string, error) {
	if driver != MySQL || strings.Contains(table, ".") {
		return table, nil
	}
	var current sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&current); err != nil {
		return "", err
	}
	if keyspace, _, ok := strings.Cut(current.String, "@"); ok && keyspace != "" {
		return keyspace + "." + table, nil
	}
	return table, nil
}
