-- +goose Up
-- The exact number of movies, for the unfiltered list's X-Total-Count:
-- COUNT(*) reads a whole index, seconds at 5M movies, on every list page.
-- One row, changed in the transaction of every create and delete (the store
-- and the bulk loader), which already serialize on movie_changes_writer, so
-- the extra row adds no contention. Filtered lists count their matches up
-- to a bound instead (store.MaxCount).
CREATE TABLE movie_count (
    id     INTEGER PRIMARY KEY,
    movies INTEGER NOT NULL
);
INSERT INTO movie_count (id, movies) SELECT 1, COUNT(*) FROM movies;

-- +goose Down
DROP TABLE movie_count;
