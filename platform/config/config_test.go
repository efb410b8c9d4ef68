package config_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/config"
)

// store is a nested section as services write them.
type store struct {
	Driver   string   `env:"DRIVER" envDefault:"sqlite"`
	DSN      string   `env:"DSN" envDefault:"file:data/x.db" secret:"true"`
	Replicas []string `env:"REPLICA_DSNS" envSeparator:"," secret:"true"`
}

type settings struct {
	config.Common
	Addr     string        `env:"TEST_ADDR" envDefault:":8081"`
	Timeout  time.Duration `env:"TEST_TIMEOUT" envDefault:"250ms"`
	Size     int           `env:"TEST_SIZE" envDefault:"100"`
	Enabled  bool          `env:"TEST_ENABLED" envDefault:"true"`
	Password string        `env:"TEST_PASSWORD" secret:"true"`
	Store    store         `envPrefix:"TEST_DB_"`
	internal string
}

func TestLoadDefaults(t *testing.T) {
	var got settings
	if err := config.LoadFrom(&got, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	want := settings{
		Common: config.Common{LogLevel: "info", ShutdownTimeout: 15 * time.Second, DrainDelay: 0, AdminAddr: ":9090"},
		Addr:   ":8081", Timeout: 250 * time.Millisecond, Size: 100, Enabled: true,
		Store: store{Driver: "sqlite", DSN: "file:data/x.db"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", got, want)
	}
	if got.CommonConfig() != want.Common {
		t.Errorf("CommonConfig() = %+v", got.CommonConfig())
	}
}

func TestLoadFromEnvironment(t *testing.T) {
	vars := map[string]string{
		"MOVIES_LOG_LEVEL":            "debug",
		"MOVIES_SHUTDOWN_TIMEOUT":     "30s",
		"MOVIES_DRAIN_DELAY":          "5s",
		"MOVIES_ADMIN_ADDR":           "127.0.0.1:9191",
		"MOVIES_ADMIN_PPROF":          "true",
		"MOVIES_TEST_ADDR":            "127.0.0.1:9",
		"MOVIES_TEST_TIMEOUT":         "1m",
		"MOVIES_TEST_SIZE":            "7",
		"MOVIES_TEST_ENABLED":         "false",
		"MOVIES_TEST_PASSWORD":        "hunter2",
		"MOVIES_TEST_DB_DRIVER":       "mysql",
		"MOVIES_TEST_DB_DSN":          "root:pw@tcp(127.0.0.1:3306)/x",
		"MOVIES_TEST_DB_REPLICA_DSNS": "a,b",
		"TEST_SIZE":                   "9", // without the prefix: not ours
	}
	var got settings
	if err := config.LoadFrom(&got, vars); err != nil {
		t.Fatal(err)
	}
	want := settings{
		Common: config.Common{LogLevel: "debug", ShutdownTimeout: 30 * time.Second, DrainDelay: 5 * time.Second, AdminAddr: "127.0.0.1:9191", AdminPprof: true},
		Addr:   "127.0.0.1:9", Timeout: time.Minute, Size: 7, Enabled: false, Password: "hunter2",
		Store: store{Driver: "mysql", DSN: "root:pw@tcp(127.0.0.1:3306)/x", Replicas: []string{"a", "b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loaded\n got %+v\nwant %+v", got, want)
	}
}

// Load reads the process environment.
func TestLoadProcessEnvironment(t *testing.T) {
	t.Setenv("MOVIES_TEST_SIZE", "42")
	t.Setenv("MOVIES_LOG_LEVEL", "warn")
	var got settings
	if err := config.Load(&got); err != nil {
		t.Fatal(err)
	}
	if got.Size != 42 || got.LogLevel != "warn" {
		t.Errorf("Load = %+v", got)
	}
}

// A bad value fails the start with the variable named, rather than running
// with a default the operator did not choose.
func TestLoadBadValues(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"MOVIES_SHUTDOWN_TIMEOUT", "15"},
		{"MOVIES_DRAIN_DELAY", "soon"},
		{"MOVIES_TEST_TIMEOUT", "-"},
		{"MOVIES_TEST_SIZE", "many"},
		{"MOVIES_TEST_SIZE", "1.5"},
		{"MOVIES_TEST_ENABLED", "maybe"},
	} {
		var got settings
		err := config.LoadFrom(&got, map[string]string{tc.name: tc.value})
		if err == nil {
			t.Errorf("%s=%q loaded as %+v", tc.name, tc.value, got)
			continue
		}
		if want := fmt.Sprintf("config: %s=%q: ", tc.name, tc.value); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want it to start with %q: the variable and its value", err, want)
		}
	}
	// Two sections with a field of the same name: the error names the one
	// holding the bad value.
	type section struct {
		Timeout time.Duration `env:"TIMEOUT" envDefault:"1s"`
	}
	var two struct {
		A section `envPrefix:"A_"`
		B section `envPrefix:"B_"`
	}
	err := config.LoadFrom(&two, map[string]string{"MOVIES_A_TIMEOUT": "2s", "MOVIES_B_TIMEOUT": "2"})
	if err == nil || !strings.HasPrefix(err.Error(), `config: MOVIES_B_TIMEOUT="2": `) {
		t.Errorf("error %v, want it to name MOVIES_B_TIMEOUT", err)
	}
	if err := config.LoadFrom(settings{}, nil); err == nil {
		t.Error("loading into a non-pointer succeeded")
	}
}

func TestDescribeMasksSecrets(t *testing.T) {
	cfg := settings{
		Common:   config.Common{LogLevel: "info", ShutdownTimeout: 15 * time.Second},
		Addr:     ":8081",
		Timeout:  250 * time.Millisecond,
		Size:     100,
		Password: "hunter2",
		Store:    store{Driver: "mysql", DSN: "root:pw@tcp(db)/x"},
		internal: "hidden",
	}
	got := config.Describe(&cfg)
	want := []any{
		"log_level", "info",
		"shutdown_timeout", "15s",
		"drain_delay", "0s",
		"admin_addr", "",
		"admin_pprof", false,
		"test_addr", ":8081",
		"test_timeout", "250ms",
		"test_size", 100,
		"test_enabled", false,
		"test_password", "<redacted>",
		"test_db_driver", "mysql",
		"test_db_dsn", "<redacted>",
		"test_db_replica_dsns", "<unset>",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe\n got %v\nwant %v", got, want)
	}
	for i := 1; i < len(got); i += 2 {
		if s, ok := got[i].(string); ok && (strings.Contains(s, "hunter2") || strings.Contains(s, "pw@")) {
			t.Errorf("%v shows a secret", got[i-1])
		}
	}
	// A value and a pointer describe alike.
	if byValue := config.Describe(cfg); !reflect.DeepEqual(byValue, got) {
		t.Errorf("Describe(value) = %v", byValue)
	}
}
