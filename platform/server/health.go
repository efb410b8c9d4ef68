package server

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviesplatform/platform/httpx"
)

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Detail adds facts to /readyz (indexer lag, for one) without affecting
// readiness.
type Detail func(ctx context.Context) any

// Health serves /healthz (the process is alive) and /readyz (it can serve:
// every check passes and it is not shutting down).
type Health struct {
	mu       sync.RWMutex
	checks   map[string]Check
	details  map[string]Detail
	draining atomic.Bool
}

// NewHealth returns a Health with no checks.
func NewHealth() *Health {
	return &Health{checks: map[string]Check{}, details: map[string]Detail{}}
}

// AddCheck adds a readiness check under name.
func (h *Health) AddCheck(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// AddDetail adds a readiness detail under name.
func (h *Health) AddDetail(name string, d Detail) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.details[name] = d
}

// Drain makes /readyz fail so load balancers stop sending traffic.
func (h *Health) Drain() { h.draining.Store(true) }

// Live answers /healthz.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	_ = httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Ready answers /readyz with each check's result.
func (h *Health) Ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h.mu.RLock()
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	details := make(map[string]Detail, len(h.details))
	for k, v := range h.details {
		details[k] = v
	}
	h.mu.RUnlock()

	type result struct{ name, status string }
	results := make(chan result, len(checks))
	for name, c := range checks {
		go func() {
			status := "ok"
			if err := c(ctx); err != nil {
				status = err.Error()
			}
			results <- result{name, status}
		}()
	}
	body := map[string]any{}
	statuses := map[string]string{}
	ready := !h.draining.Load()
	for range checks {
		res := <-results
		statuses[res.name] = res.status
		if res.status != "ok" {
			ready = false
		}
	}
	body["checks"] = statuses
	for name, d := range details {
		body[name] = d(ctx)
	}
	code := http.StatusOK
	body["status"] = "ok"
	if !ready {
		code = http.StatusServiceUnavailable
		body["status"] = "unavailable"
		if h.draining.Load() {
			body["status"] = "draining"
		}
	}
	_ = httpx.WriteJSON(w, code, body)
}
