-- +goose Up
-- username_key is the lower-cased NFKC username (auth.UsernameKey): its
-- unique index makes usernames unique case-insensitively and serves logins.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);

-- Tokens are kept only as their SHA-256 (hex); the token itself is never stored.
CREATE TABLE tokens (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NULL
);
-- Serves revoking every token of a user (password reset), pruning a user's
-- oldest tokens at login, and the cascade.
CREATE INDEX tokens_user_id ON tokens (user_id, created_at);

-- +goose Down
DROP TABLE tokens;
DROP TABLE users;
