-- +goose Up
-- A genre filter with a popularity or imdb_score ordering read the movies
-- table in that order and probed each row's genres: fine for a common genre,
-- but for a rare one (News, 0.4%) the planner started from the genre's links
-- and sorted them all in a temporary table. movie_genres now carries the
-- movie's popularity and imdb_score, and
--   movie_genres_genre_popularity (genre_id, popularity, movie_id),
--   movie_genres_genre_imdb_score (genre_id, imdb_score, movie_id)
-- walk one genre in either order, and answer its keyset cursors, as range
-- scans whatever the genre's size; movie_genres_genre (genre_id, movie_id)
-- does the same for ordering=id, and counts a genre's movies from the index.
-- The copies are written in the same transaction as the movie (store:
-- create and update rewrite a movie's links; the bulk loader writes them
-- with the links), so they are never seen to differ.
-- name and director orderings within a genre still probe per movie: their
-- keys are long, and copying them would double the table.
ALTER TABLE movie_genres ADD COLUMN popularity REAL NOT NULL DEFAULT 0;
ALTER TABLE movie_genres ADD COLUMN imdb_score REAL NOT NULL DEFAULT 0;
UPDATE movie_genres SET
    popularity = (SELECT m.popularity FROM movies m WHERE m.id = movie_genres.movie_id),
    imdb_score = (SELECT m.imdb_score FROM movies m WHERE m.id = movie_genres.movie_id);
CREATE INDEX movie_genres_genre_popularity ON movie_genres (genre_id, popularity, movie_id);
CREATE INDEX movie_genres_genre_imdb_score ON movie_genres (genre_id, imdb_score, movie_id);

-- +goose Down
DROP INDEX movie_genres_genre_imdb_score;
DROP INDEX movie_genres_genre_popularity;
ALTER TABLE movie_genres DROP COLUMN imdb_score;
ALTER TABLE movie_genres DROP COLUMN popularity;
