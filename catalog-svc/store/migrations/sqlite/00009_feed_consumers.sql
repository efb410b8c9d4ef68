-- +goose Up
-- One row per registered consumer of the change feed (a search index): who
-- holds its lease, until when, and the feed position it has acknowledged.
-- The lease makes exactly one indexer write a shared index; the positions
-- bound what retention may trim (store.TrimFeed). Expiry and update times
-- are the catalog's clock.
CREATE TABLE feed_consumers (
    name          TEXT     NOT NULL PRIMARY KEY,
    holder        TEXT     NOT NULL,
    lease_expires DATETIME NOT NULL,
    position      INTEGER  NOT NULL DEFAULT 0,
    updated_at    DATETIME NOT NULL
);

-- How far retention has scanned the feed: rows at or below compacted_through
-- have been trimmed of every change a later one of the same movie
-- superseded, so the next pass starts after it.
CREATE TABLE feed_retention (
    id                 INTEGER NOT NULL PRIMARY KEY,
    compacted_through  INTEGER NOT NULL
);
INSERT INTO feed_retention (id, compacted_through) VALUES (1, 0);

-- +goose Down
DROP TABLE feed_retention;
DROP TABLE feed_consumers;
