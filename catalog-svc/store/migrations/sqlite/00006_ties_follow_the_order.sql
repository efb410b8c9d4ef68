-- +goose Up
-- Ties are now broken by id in the direction of the ordering's last key
-- (contract.ParseOrdering): ordering=-popularity is ORDER BY popularity
-- DESC, id DESC, which an index on (popularity, id) gives read backwards.
-- So every ascending index serves both directions, and 00005's descending
-- copies only cost writes, bulk loads and space (1.2 GB of the 3 GB of
-- indexes at 5M movies): dropped. A director's films by score take an
-- ascending index again, read either way. -name and -director walk
-- movies_name and movies_director backwards instead of sorting.
DROP INDEX movies_popularity_desc;
DROP INDEX movies_imdb_score_desc;
DROP INDEX movies_director_imdb_score_desc;
CREATE INDEX movies_director_imdb_score ON movies (director_key, imdb_score, id);
DROP INDEX movie_genres_genre_popularity_desc;
DROP INDEX movie_genres_genre_imdb_score_desc;

-- +goose Down
CREATE INDEX movie_genres_genre_imdb_score_desc ON movie_genres (genre_id, imdb_score DESC, movie_id);
CREATE INDEX movie_genres_genre_popularity_desc ON movie_genres (genre_id, popularity DESC, movie_id);
DROP INDEX movies_director_imdb_score;
CREATE INDEX movies_director_imdb_score_desc ON movies (director_key, imdb_score DESC, id);
CREATE INDEX movies_imdb_score_desc ON movies (imdb_score DESC, id);
CREATE INDEX movies_popularity_desc ON movies (popularity DESC, id);
