-- +goose Up
-- The W3C traceparent of the request that wrote the change, when it was
-- traced: the search indexer links the span that makes the change
-- searchable back to it ("when did my edit become searchable?"). NULL for
-- untraced writes, imports and bulk loads.
ALTER TABLE movie_changes ADD COLUMN traceparent VARCHAR(55) NULL;

-- +goose Down
ALTER TABLE movie_changes DROP COLUMN traceparent;
