-- +goose Up
-- 00005's descending copies of the sort indexes are not needed once ties
-- follow the order's direction. Keep in step with
-- ../sqlite/00006_ties_follow_the_order.sql, which explains it.
ALTER TABLE movies
    DROP INDEX movies_popularity_desc,
    DROP INDEX movies_imdb_score_desc,
    DROP INDEX movies_director_imdb_score_desc,
    ADD INDEX movies_director_imdb_score (director_key, imdb_score, id);
ALTER TABLE movie_genres
    DROP INDEX movie_genres_genre_popularity_desc,
    DROP INDEX movie_genres_genre_imdb_score_desc;

-- +goose Down
ALTER TABLE movie_genres
    ADD INDEX movie_genres_genre_popularity_desc (genre_id, popularity DESC, movie_id),
    ADD INDEX movie_genres_genre_imdb_score_desc (genre_id, imdb_score DESC, movie_id);
ALTER TABLE movies
    ADD INDEX movies_popularity_desc (popularity DESC, id),
    ADD INDEX movies_imdb_score_desc (imdb_score DESC, id),
    DROP INDEX movies_director_imdb_score,
    ADD INDEX movies_director_imdb_score_desc (director_key, imdb_score DESC, id);
