// Package redistest gives tests the real Redis server they run against.
package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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

// The credentials of a server StartServer runs: requirepass for the
// default user, and the services' ACL user with the rights
// docs/security.md gives it (the movies: key and channel namespace, no
// dangerous command).
const (
	DefaultPassword = "default-secret"
	ServiceUser     = "movies"
	ServicePassword = "acl-secret"
	ServiceACL      = "on >" + ServicePassword + " ~movies:* &movies:* +@read +@write +@scripting +@pubsub +@transaction +@connection -@dangerous"
)

// StartServer runs a redis-server of the test's own on a free loopback port
// with a requirepass and the services' ACL user; with tlsConf (redis.conf
// lines) that port speaks TLS only. It returns the address.
func StartServer(t *testing.T, tlsConf string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not installed: the Redis credentials tests cannot be skipped in CI")
		}
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()
	port := FreePort(t)
	listen := fmt.Sprintf("port %d\n", port)
	if tlsConf != "" {
		listen = fmt.Sprintf("port 0\ntls-port %d\n%s\n", port, tlsConf)
	}
	conf := fmt.Sprintf("bind 127.0.0.1\n%sdir %s\nsave \"\"\nappendonly no\nrequirepass %s\nuser %s %s\n", listen, dir, DefaultPassword, ServiceUser, ServiceACL)
	if err := os.WriteFile(filepath.Join(dir, "redis.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, filepath.Join(dir, "redis.conf"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func FreePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
