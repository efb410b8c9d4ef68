package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/moviesplatform/auth-svc/auth"
)

// DevAdminUsername is the account DevAdmin ensures.
const DevAdminUsername = "admin"

// The lines of the dev admin file. It is a shell-sourceable env file, so
// `. data/dev-admin.txt` sets the same variables a real deployment uses.
const (
	fileUserKey     = "MOVIES_ADMIN_USERNAME="
	filePasswordKey = "MOVIES_ADMIN_PASSWORD="
)

// ensureAdmin makes the configured admin exist, or the dev admin when
// allowed and none is configured.
func ensureAdmin(ctx context.Context, cfg Config, svc *auth.BasicService, log *slog.Logger) error {
	if cfg.AdminUsername != "" {
		u, err := svc.EnsureAdmin(ctx, cfg.AdminUsername, cfg.AdminPassword)
		if err != nil {
			return err
		}
		log.Info("admin account ensured", "username", u.Username)
		return nil
	}
	if !cfg.DevAdmin {
		log.Warn("no admin account configured (MOVIES_ADMIN_USERNAME, MOVIES_ADMIN_PASSWORD): nobody can write")
		return nil
	}
	password, err := readDevAdminFile(cfg.DevAdminFile)
	if err != nil {
		return err
	}
	fresh := password == ""
	if fresh {
		password = randomPassword()
	}
	if _, err := svc.EnsureAdmin(ctx, DevAdminUsername, password); err != nil {
		return err
	}
	if !fresh {
		log.Info("dev admin ensured", "username", DevAdminUsername, "password_file", cfg.DevAdminFile)
		return nil
	}
	if cfg.DevAdminFile != "" {
		if err := writeDevAdminFile(cfg.DevAdminFile, password); err != nil {
			return err
		}
	}
	// Logged this once, for a local run: later starts reuse the file.
	log.Warn("dev admin created: for local use only",
		"username", DevAdminUsername, "password", password, "password_file", cfg.DevAdminFile)
	return nil
}

func randomPassword() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readDevAdminFile returns the password a previous start wrote, or "" when
// there is no file (or no path).
func readDevAdminFile(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("dev admin file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), filePasswordKey); ok && p != "" {
			return p, nil
		}
	}
	return "", sc.Err()
}

func writeDevAdminFile(path, password string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("dev admin file: %w", err)
	}
	body := fileUserKey + DevAdminUsername + "\n" + filePasswordKey + password + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("dev admin file: %w", err)
	}
	return nil
}
