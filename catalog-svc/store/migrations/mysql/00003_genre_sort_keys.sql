-- +goose Up
-- Sort keys in movie_genres, so a genre's page is an index range scan.
-- Keep in step with ../sqlite/00003_genre_sort_keys.sql, which explains it.
-- Columns first, then the backfill, then the indexes: built once, sorted,
-- rather than maintained row by row through the backfill.
ALTER TABLE movie_genres
    ADD COLUMN popularity DOUBLE NOT NULL DEFAULT 0,
    ADD COLUMN imdb_score DOUBLE NOT NULL DEFAULT 0;
UPDATE movie_genres mg JOIN movies m ON m.id = mg.movie_id
    SET mg.popularity = m.popularity, mg.imdb_score = m.imdb_score;
ALTER TABLE movie_genres
    ADD INDEX movie_genres_genre_popularity (genre_id, popularity, movie_id),
    ADD INDEX movie_genres_genre_imdb_score (genre_id, imdb_score, movie_id);

-- +goose Down
ALTER TABLE movie_genres
    DROP INDEX movie_genres_genre_popularity,
    DROP INDEX movie_genres_genre_imdb_score,
    DROP COLUMN popularity,
    DROP COLUMN imdb_score;
