-- +goose Up
-- The catalog schema (SQLite). Keep in step with ../mysql/00001_catalog.sql:
-- the two differ only in types and table options.
--
-- name_key, director_key and genres.name_key hold the lower-cased form of
-- the name (catalog.FoldKey, computed in Go). Case-insensitive filters,
-- search and the name/director orderings work on them with plain binary
-- comparison, so SQLite (whose NOCASE and LIKE fold ASCII only) and MySQL
-- (whose collations also fold accents) give the same answers in the same order.
--
-- Indexes, and the queries they serve:
--   movies_popularity, movies_imdb_score, movies_name, movies_director:
--     ordering=[-]popularity|imdb_score|name|director: every ordering ends
--     with id, so (key, id) walks the order and answers a keyset cursor
--     ("rows after (k, id)") as a range scan, with no sort and no OFFSET.
--     The same indexes serve the range filters (imdb_score_min/max,
--     popularity_min/max) and director= (an equality on director_key).
--     movies_name also serves the importer's "already there?" lookup
--     (name_key, then director_key among the few rows left).
--   movie_genres primary key (movie_id, genre_id): a movie's genres (read
--     back in position order) and the genre filter's EXISTS probe per movie.
--   movie_genres_genre (genre_id, movie_id): from a genre to its movies,
--     for when the planner starts from the genre filter.
--   genres.name_key unique: one row per genre, case-insensitively.
--   movie_changes primary key seq: the change feed reads "seq > after" in
--     order; movie_changes_movie answers a movie's audit history.
-- ?search= is a substring match (LIKE '%term%'), which no B-tree index
-- serves: it scans. search-svc is the fast path; this is its fallback.

CREATE TABLE movies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    director     TEXT    NOT NULL DEFAULT '',
    director_key TEXT    NOT NULL DEFAULT '',
    popularity   REAL    NOT NULL,
    imdb_score   REAL    NOT NULL
);
CREATE INDEX movies_popularity ON movies (popularity, id);
CREATE INDEX movies_imdb_score ON movies (imdb_score, id);
CREATE INDEX movies_name ON movies (name_key, id);
CREATE INDEX movies_director ON movies (director_key, id);

CREATE TABLE genres (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE
);

CREATE TABLE movie_genres (
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL REFERENCES genres (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (movie_id, genre_id)
);
CREATE INDEX movie_genres_genre ON movie_genres (genre_id, movie_id);

-- The outbox: one row per change, written in the change's transaction.
-- payload is the movie as the API shows it; NULL for a delete (tombstone).
CREATE TABLE movie_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    movie_id   INTEGER  NOT NULL,
    op         TEXT     NOT NULL,
    payload    TEXT     NULL,
    actor      TEXT     NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE INDEX movie_changes_movie ON movie_changes (movie_id, seq);

-- One row every write transaction updates first: writes are serialized, so
-- sequence numbers are taken in commit order and a feed reader that has seen
-- seq N can never later find a smaller one committed (see store.inTx).
CREATE TABLE movie_changes_writer (
    id      INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL
);
INSERT INTO movie_changes_writer (id, changes) VALUES (1, 0);

-- +goose Down
DROP TABLE movie_changes_writer;
DROP TABLE movie_changes;
DROP TABLE movie_genres;
DROP TABLE genres;
DROP TABLE movies;
