-- +goose Up
CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);

-- +goose Down
DROP TABLE things;
