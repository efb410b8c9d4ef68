-- +goose Up
-- Keep in step with ../sqlite/00008_conditional_writes.sql, which explains
-- the columns. ADD COLUMN with a constant default at the end of the table is
-- an instant change on MySQL 8 and MariaDB 10.3+: no table copy at 25M rows.
ALTER TABLE movies ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- actor is at most 150 characters (movie_changes.actor), the key 255
-- visible ASCII bytes: the primary key stays within InnoDB's 3072 bytes.
CREATE TABLE idempotency_keys (
    actor      VARCHAR(150)   NOT NULL,
    idem_key   VARBINARY(255) NOT NULL,
    body_hash  BINARY(32)     NOT NULL,
    movie_id   BIGINT         NOT NULL,
    status     SMALLINT       NOT NULL,
    response   LONGTEXT       NOT NULL,
    created_at DATETIME(6)    NOT NULL,
    PRIMARY KEY (actor, idem_key),
    INDEX idempotency_keys_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE idempotency_keys;
ALTER TABLE movies DROP COLUMN version;
