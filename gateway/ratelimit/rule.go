// Package ratelimit bounds how fast each client may call the gateway: GCRA
// limits shared by every gateway replica through Redis
// (github.com/go-redis/redis_rate), with a local fallback
// (golang.org/x/time/rate) when Redis is absent, down or slow, and the
// answers clients expect: 429 with Retry-After and the IETF RateLimit and
// RateLimit-Policy headers.
package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rule is one limit: Rate requests per Period, with bursts of up to Burst.
type Rule struct {
	// Name names the policy in headers and metrics ("anonymous").
	Name   string
	Rate   int
	Period time.Duration
	Burst  int
}

// UnmarshalText reads a rule written "RATE/PERIOD[,burst=N]": "100/1s",
// "10/1m,burst=20". The burst defaults to the rate. The name is kept.
func (r *Rule) UnmarshalText(text []byte) error {
	spec, burst, hasBurst := strings.Cut(string(text), ",burst=")
	rate, period, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(strings.TrimSpace(rate))
	if !ok || err != nil || n <= 0 {
		return fmt.Errorf("rate limit %q: want RATE/PERIOD[,burst=N], e.g. 100/1s", text)
	}
	d, err := time.ParseDuration(strings.TrimSpace(period))
	if err != nil || d <= 0 {
		return fmt.Errorf("rate limit %q: bad period: %v", text, err)
	}
	b := n
	if hasBurst {
		if b, err = strconv.Atoi(strings.TrimSpace(burst)); err != nil || b <= 0 {
			return fmt.Errorf("rate limit %q: bad burst", text)
		}
	}
	r.Rate, r.Period, r.Burst = n, d, b
	return nil
}

// String writes the rule as UnmarshalText reads it.
func (r Rule) String() string {
	return fmt.Sprintf("%d/%s,burst=%d", r.Rate, r.Period, r.Burst)
}

// policyHeader is the rule as an IETF RateLimit-Policy item: quota q per
// window w seconds.
func (r Rule) policyHeader() string {
	return fmt.Sprintf("%q;q=%d;w=%d", r.Name, r.Burst, max(1, int(r.Period.Round(time.Second)/time.Second)))
}

// Decision is what a limiter answered for one request.
type Decision struct {
	Allowed bool
	// Remaining is how many more requests the key may make now.
	Remaining int
	// RetryAfter is how long a refused key must wait.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's quota is whole again.
	ResetAfter time.Duration
}
