package store

import "time"

// SetClock makes s stamp its writes with now (tests of retention).
func SetClock(s *SQL, now func() time.Time) { s.now = now }
