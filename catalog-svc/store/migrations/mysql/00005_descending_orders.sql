-- +goose Up
-- Indexes for the descending orderings. Keep in step with
-- ../sqlite/00005_descending_orders.sql, which explains them.
-- Descending index parts: MySQL 8.0+, MariaDB 10.8+.
ALTER TABLE movies
    ADD INDEX movies_popularity_desc (popularity DESC, id),
    ADD INDEX movies_imdb_score_desc (imdb_score DESC, id),
    DROP INDEX movies_director_imdb_score,
    ADD INDEX movies_director_imdb_score_desc (director_key, imdb_score DESC, id);
ALTER TABLE movie_genres
    ADD INDEX movie_genres_genre_popularity_desc (genre_id, popularity DESC, movie_id),
    ADD INDEX movie_genres_genre_imdb_score_desc (genre_id, imdb_score DESC, movie_id);

-- +goose Down
ALTER TABLE movie_genres
    DROP INDEX movie_genres_genre_popularity_desc,
    DROP INDEX movie_genres_genre_imdb_score_desc;
ALTER TABLE movies
    DROP INDEX movies_popularity_desc,
    DROP INDEX movies_imdb_score_desc,
    DROP INDEX movies_director_imdb_score_desc,
    ADD INDEX movies_director_imdb_score (director_key, imdb_score, id);
