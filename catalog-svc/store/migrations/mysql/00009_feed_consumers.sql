-- +goose Up
-- Keep in step with ../sqlite/00009_feed_consumers.sql, which explains the
-- tables.
CREATE TABLE feed_consumers (
    name          VARCHAR(100) NOT NULL,
    holder        VARCHAR(200) NOT NULL,
    lease_expires DATETIME(6)  NOT NULL,
    position      BIGINT       NOT NULL DEFAULT 0,
    updated_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE feed_retention (
    id                INT    NOT NULL,
    compacted_through BIGINT NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
INSERT INTO feed_retention (id, compacted_through) VALUES (1, 0);

-- +goose Down
DROP TABLE feed_retention;
DROP TABLE feed_consumers;
