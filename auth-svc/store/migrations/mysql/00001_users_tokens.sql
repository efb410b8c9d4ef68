-- +goose Up
-- username_key is the lower-cased NFKC username (auth.UsernameKey), compared
-- byte for byte: the table's _ci collation would also fold accents, making
-- "jose" and "josé" one user. Its unique index serves logins.
CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(150) NOT NULL,
    username_key  VARCHAR(150) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY users_username_key (username_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Tokens are kept only as their SHA-256 (hex); the token itself is never stored.
CREATE TABLE tokens (
    token_hash   CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id      BIGINT      NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    last_used_at DATETIME(6) NULL,
    -- Serves revoking every token of a user (password reset), pruning a
    -- user's oldest tokens at login, and the cascade.
    KEY tokens_user_id (user_id, created_at),
    CONSTRAINT tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE tokens;
DROP TABLE users;
