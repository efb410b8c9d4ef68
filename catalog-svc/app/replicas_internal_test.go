package app

import (
	"testing"
	"time"
)

func TestReadYourWritesWindowOutlastsTheLagBound(t *testing.T) {
	for _, c := range []struct {
		configured, staleness, want time.Duration
		fails                       bool
	}{
		{0, 9 * time.Second, 10 * time.Second, false},
		{time.Minute, 9 * time.Second, time.Minute, false},
		{5 * time.Second, 9 * time.Second, 0, true},
		{0, 0, UnboundedLagWindow, false}, // lag check off (vtgate)
		{40 * time.Second, 0, 40 * time.Second, false},
	} {
		got, err := readYourWritesWindow(c.configured, c.staleness)
		if (err != nil) != c.fails || got != c.want {
			t.Errorf("window(%s, bound %s) = %s, %v", c.configured, c.staleness, got, err)
		}
	}
}
