-- +goose Up
-- version counts the writes a movie has seen: 1 when created, raised by
-- every update in its transaction. It is the movie's ETag ("<id>-<version>"),
-- which If-Match compares inside the write's transaction, so two editors
-- cannot overwrite each other unknowingly. Existing movies start at 1.
ALTER TABLE movies ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- One row per create made under an Idempotency-Key, written in the create's
-- transaction: a retry with the same key and body finds it and gets the
-- stored answer instead of a second movie; another body is a 422. The key is
-- the client's, so it is unique per actor. Rows older than the retention
-- (24h by default) count as absent and are trimmed by later creates
-- through idempotency_keys_created.
CREATE TABLE idempotency_keys (
    actor      TEXT    NOT NULL,
    idem_key   TEXT    NOT NULL,
    body_hash  BLOB    NOT NULL,
    movie_id   INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    response   TEXT    NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (actor, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
ALTER TABLE movies DROP COLUMN version;
