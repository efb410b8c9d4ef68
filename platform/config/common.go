package config

import "time"

// Common is the configuration every service process shares.
type Common struct {
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// ShutdownTimeout bounds how long in-flight requests may run after a
	// stop signal; keep it below the pod's terminationGracePeriodSeconds.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// DrainDelay keeps serving (with /readyz failing) after a stop signal so
	// Kubernetes removes the pod from endpoints before the listener closes.
	DrainDelay time.Duration `env:"DRAIN_DELAY" envDefault:"0s"`
	// AdminAddr is the process's admin listener: /healthz, /readyz,
	// /metrics (and pprof with AdminPprof), kept off the public port.
	AdminAddr string `env:"ADMIN_ADDR" envDefault:":9090"`
	// AdminPprof serves the runtime profiles under /debug/pprof/ on the
	// admin listener.
	AdminPprof bool `env:"ADMIN_PPROF" envDefault:"false"`
}

// CommonConfig returns c; a settings struct that embeds Common satisfies
// runner.Settings through it.
func (c Common) CommonConfig() Common { return c }
