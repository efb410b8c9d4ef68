-- +goose Up
-- A disabled user cannot log in and their tokens are refused (issue 9).
-- users_active_admins serves counting the active admins, which every change
-- of a user's flags does under lock so the last admin cannot go.
ALTER TABLE users
    ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE,
    ADD KEY users_active_admins (is_admin, disabled);

-- +goose Down
ALTER TABLE users DROP KEY users_active_admins, DROP COLUMN disabled;
