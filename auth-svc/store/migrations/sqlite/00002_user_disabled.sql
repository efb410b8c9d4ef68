-- +goose Up
-- A disabled user cannot log in and their tokens are refused (issue 9).
-- users_active_admins serves counting the active admins, which every change
-- of a user's flags does so the last admin cannot go.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_active_admins ON users (is_admin, disabled);

-- +goose Down
DROP INDEX users_active_admins;
ALTER TABLE users DROP COLUMN disabled;
