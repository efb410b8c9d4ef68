// Package redistest gives tests the real Redis server they run against.
package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// EnvRedis names the Redis server the tests use (host:port); make test sets
// it.
const EnvRedis = "MOVIES_TEST_REDIS_ADDR"

// RedisAddr returns the test Redis. Without one the test is skipped, or
// fails under CI=true.
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(EnvRedis)
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: the Redis cache tests cannot be skipped in CI (make test sets it)", EnvRedis)
		}
		t.Skipf("%s not set: Redis cache tests skipped (make test runs them)", EnvRedis)
	}
	return addr
}

// Namespace returns a key namespace of the test's own, so tests sharing one
// Redis never see each other's keys or messages.
func Namespace() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "movies-test:" + hex.EncodeToString(b[:])
}
