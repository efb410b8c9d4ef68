// Package cachetest gives tests the real Redis server they run against; it
// forwards to platform/redisx/redistest, where the helpers live.
package cachetest

import (
	"testing"

	"github.com/moviesplatform/platform/redisx/redistest"
)

// EnvRedis names the Redis server the tests use (host:port).
const EnvRedis = redistest.EnvRedis

// RedisAddr returns the test Redis (redistest.RedisAddr).
func RedisAddr(t testing.TB) string { return redistest.RedisAddr(t) }

// Namespace returns a key namespace of the test's own (redistest.Namespace).
func Namespace() string { return redistest.Namespace() }
