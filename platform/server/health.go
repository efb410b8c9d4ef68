package server

import (
	"context"
	"maps"
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
// every check passes, every included part is ready and it is not shutting
// down).
type Health struct {
	mu       sync.RWMutex
	checks   map[string]Check
	details  map[string]Detail
	parts    map[string]*Health
	draining atomic.Bool
}

// NewHealth returns a Health with no checks.
func NewHealth() *Health {
	return &Health{checks: map[string]Check{}, details: map[string]Detail{}, parts: map[string]*Health{}}
}

// Include makes part's readiness count towards h's: h is ready only when
// part is, and /readyz shows part's answer under name. One process running
// several services answers for all of them this way.
func (h *Health) Include(name string, part *Health) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.parts[name] = part
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
	ready, body := h.report(ctx)
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	_ = httpx.WriteJSON(w, code, body)
}

// report runs every check and included part at once and returns whether h
// is ready with the /readyz body.
func (h *Health) report(ctx context.Context) (bool, map[string]any) {
	h.mu.RLock()
	checks := maps.Clone(h.checks)
	details := maps.Clone(h.details)
	parts := maps.Clone(h.parts)
	h.mu.RUnlock()

	type result struct {
		name, status string
	}
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
	type partResult struct {
		name  string
		ready bool
		body  map[string]any
	}
	partResults := make(chan partResult, len(parts))
	for name, p := range parts {
		go func() {
			ready, body := p.report(ctx)
			partResults <- partResult{name, ready, body}
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
	for range parts {
		res := <-partResults
		body[res.name] = res.body
		ready = ready && res.ready
	}
	for name, d := range details {
		body[name] = d(ctx)
	}
	body["status"] = "ok"
	if !ready {
		body["status"] = "unavailable"
		if h.draining.Load() {
			body["status"] = "draining"
		}
	}
	return ready, body
}
