-- +goose Up
-- director=X&ordering=-imdb_score (a director's best films, a hot page in
-- the traffic model) read movies_director and sorted the director's films:
-- hundreds for the busiest at 5M. (director_key, imdb_score, id) walks them
-- in order, and answers the keyset cursor as a range.
CREATE INDEX movies_director_imdb_score ON movies (director_key, imdb_score, id);

-- +goose Down
DROP INDEX movies_director_imdb_score;
