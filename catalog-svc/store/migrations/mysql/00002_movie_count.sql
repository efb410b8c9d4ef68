-- +goose Up
-- The exact number of movies, for the unfiltered list's X-Total-Count.
-- Keep in step with ../sqlite/00002_movie_count.sql, which explains it.
CREATE TABLE movie_count (
    id     INT    NOT NULL,
    movies BIGINT NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
INSERT INTO movie_count (id, movies) SELECT 1, COUNT(*) FROM movies;

-- +goose Down
DROP TABLE movie_count;
