-- +goose Up
-- The catalog schema (MySQL 8 / MariaDB). Keep in step with
-- ../sqlite/00001_catalog.sql, which explains the columns and every index.
--
-- The *_key columns are VARBINARY: byte comparison with no padding and no
-- collation, so they order and match exactly as SQLite's do. Their length
-- allows 255 characters at 4 bytes each; (key, id) stays within InnoDB's
-- 3072-byte index limit.

CREATE TABLE movies (
    id           BIGINT          NOT NULL AUTO_INCREMENT,
    name         VARCHAR(255)    NOT NULL,
    name_key     VARBINARY(1024) NOT NULL,
    director     VARCHAR(255)    NOT NULL DEFAULT '',
    director_key VARBINARY(1024) NOT NULL DEFAULT '',
    popularity   DOUBLE          NOT NULL,
    imdb_score   DOUBLE          NOT NULL,
    PRIMARY KEY (id),
    INDEX movies_popularity (popularity, id),
    INDEX movies_imdb_score (imdb_score, id),
    INDEX movies_name (name_key, id),
    INDEX movies_director (director_key, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE genres (
    id       BIGINT         NOT NULL AUTO_INCREMENT,
    name     VARCHAR(50)    NOT NULL,
    name_key VARBINARY(200) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE INDEX genres_name_key (name_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE movie_genres (
    movie_id BIGINT   NOT NULL,
    genre_id BIGINT   NOT NULL,
    position SMALLINT NOT NULL,
    PRIMARY KEY (movie_id, genre_id),
    INDEX movie_genres_genre (genre_id, movie_id),
    CONSTRAINT movie_genres_movie_fk FOREIGN KEY (movie_id) REFERENCES movies (id) ON DELETE CASCADE,
    CONSTRAINT movie_genres_genre_fk FOREIGN KEY (genre_id) REFERENCES genres (id)
) ENGINE = InnoDB;

CREATE TABLE movie_changes (
    seq        BIGINT       NOT NULL AUTO_INCREMENT,
    movie_id   BIGINT       NOT NULL,
    op         VARCHAR(16)  NOT NULL,
    -- LONGTEXT, not JSON: MySQL 8 would re-serialize the document.
    payload    LONGTEXT     NULL,
    actor      VARCHAR(150) NOT NULL DEFAULT '',
    created_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (seq),
    INDEX movie_changes_movie (movie_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE movie_changes_writer (
    id      INT    NOT NULL,
    changes BIGINT NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
INSERT INTO movie_changes_writer (id, changes) VALUES (1, 0);

-- +goose Down
DROP TABLE movie_changes_writer;
DROP TABLE movie_changes;
DROP TABLE movie_genres;
DROP TABLE genres;
DROP TABLE movies;
