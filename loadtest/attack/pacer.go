package attack

import (
	"math"
	"time"
)

// rampPacer raises the rate linearly from 0 to Rate over Ramp, then holds
// it, and stops after Max hits (0: no limit). Ramping lets caches, pools and
// JITs warm as they would under real traffic, and shows in the plot where
// latency starts to bend.
type rampPacer struct {
	PerSecond float64 // hits per second, after the ramp
	Ramp      time.Duration
	Max       uint64
}

// hits is how many hits should have been sent after elapsed.
func (p rampPacer) hits(elapsed time.Duration) float64 {
	t, r := elapsed.Seconds(), p.Ramp.Seconds()
	if t < r {
		return p.PerSecond * t * t / (2 * r)
	}
	return p.PerSecond*r/2 + p.PerSecond*(t-r)
}

// at is when hit number n is due: the inverse of hits.
func (p rampPacer) at(n float64) time.Duration {
	r := p.Ramp.Seconds()
	if rampHits := p.PerSecond * r / 2; n < rampHits {
		return time.Duration(math.Sqrt(2*r*n/p.PerSecond) * 1e9)
	}
	return time.Duration((r + (n-p.PerSecond*r/2)/p.PerSecond) * 1e9)
}

// Pace implements vegeta.Pacer.
func (p rampPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.Max > 0 && hits >= p.Max {
		return 0, true
	}
	if float64(hits) < p.hits(elapsed) {
		return 0, false // behind: send now
	}
	return p.at(float64(hits)+1) - elapsed, false
}

// Rate implements vegeta's rate reporting.
func (p rampPacer) Rate(elapsed time.Duration) float64 {
	if elapsed < p.Ramp {
		return p.PerSecond * elapsed.Seconds() / p.Ramp.Seconds()
	}
	return p.PerSecond
}
