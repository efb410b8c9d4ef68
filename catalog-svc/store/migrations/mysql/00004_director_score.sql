-- +goose Up
-- A director's films by score. Keep in step with
-- ../sqlite/00004_director_score.sql, which explains it.
ALTER TABLE movies ADD INDEX movies_director_imdb_score (director_key, imdb_score, id);

-- +goose Down
ALTER TABLE movies DROP INDEX movies_director_imdb_score;
