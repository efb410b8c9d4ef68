-- +goose Up
-- Every ordering ends with id ascending (contract.ParseOrdering), so
-- ordering=-popularity is ORDER BY popularity DESC, id ASC: mixed
-- directions, which an index on (popularity, id) cannot give in either
-- scan direction. At 5M movies the database sorted the whole catalog for
-- the most common list page. Each descending ordering on a hot path gets an
-- index with its first key descending:
--   movies_popularity_desc, movies_imdb_score_desc: -popularity, -imdb_score;
--   movie_genres_genre_*_desc: the same within one genre;
--   movies_director_imdb_score_desc replaces 00004's index: a director's
--     films best first (ascending score within a director sorts a few
--     hundred rows at most).
-- -name and -director still sort (their keys are long; not hot paths).
CREATE INDEX movies_popularity_desc ON movies (popularity DESC, id);
CREATE INDEX movies_imdb_score_desc ON movies (imdb_score DESC, id);
DROP INDEX movies_director_imdb_score;
CREATE INDEX movies_director_imdb_score_desc ON movies (director_key, imdb_score DESC, id);
CREATE INDEX movie_genres_genre_popularity_desc ON movie_genres (genre_id, popularity DESC, movie_id);
CREATE INDEX movie_genres_genre_imdb_score_desc ON movie_genres (genre_id, imdb_score DESC, movie_id);

-- +goose Down
DROP INDEX movie_genres_genre_imdb_score_desc;
DROP INDEX movie_genres_genre_popularity_desc;
DROP INDEX movies_director_imdb_score_desc;
CREATE INDEX movies_director_imdb_score ON movies (director_key, imdb_score, id);
DROP INDEX movies_imdb_score_desc;
DROP INDEX movies_popularity_desc;
