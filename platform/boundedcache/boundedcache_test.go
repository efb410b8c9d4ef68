package boundedcache_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/moviesplatform/platform/boundedcache"
)

func byteCost(k string, v []byte) int { return len(k) + len(v) }

func TestTheCostStaysWithinTheBoundAndTheRecentStay(t *testing.T) {
	c := boundedcache.New[string, []byte](1000, byteCost)
	for i := range 1000 {
		c.Add("k"+strconv.Itoa(i), make([]byte, 90), time.Minute)
		if _, ok := c.Get("k0"); !ok {
			t.Fatalf("after %d adds the most used entry was evicted", i)
		}
		if c.Cost() > 1000 {
			t.Fatalf("cost %d over the bound", c.Cost())
		}
	}
	if _, ok := c.Get("k999"); !ok {
		t.Error("the newest entry is gone")
	}
	if c.Add("big", make([]byte, 1001), time.Minute) {
		t.Error("an entry costlier than the bound was kept")
	}
}

func TestReplacingAnEntryCountsItOnce(t *testing.T) {
	c := boundedcache.New[string, []byte](1000, byteCost)
	for range 10 {
		c.Add("k", make([]byte, 9), time.Minute)
	}
	if c.Cost() != 10 || c.Len() != 1 {
		t.Errorf("cost %d, len %d; want 10, 1", c.Cost(), c.Len())
	}
}

func TestEntriesExpire(t *testing.T) {
	now := time.Unix(0, 0)
	c := boundedcache.New[string, int](10, func(string, int) int { return 1 })
	c.SetClock(func() time.Time { return now })
	c.Add("a", 1, time.Second)
	now = now.Add(999 * time.Millisecond)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("expired early")
	}
	now = now.Add(time.Millisecond)
	if _, ok := c.Get("a"); ok || c.Cost() != 0 {
		t.Fatalf("live at its expiry; cost %d", c.Cost())
	}
}

func TestRemoveFunc(t *testing.T) {
	c := boundedcache.New[string, int](10, func(string, int) int { return 1 })
	c.Add("a", 1, time.Minute)
	c.Add("b", 2, time.Minute)
	c.RemoveFunc(func(_ string, v int) bool { return v == 1 })
	if _, ok := c.Get("a"); ok {
		t.Error("a kept")
	}
	if _, ok := c.Get("b"); !ok || c.Cost() != 1 {
		t.Errorf("b gone or cost %d", c.Cost())
	}
}

func TestANilCacheHoldsNothing(t *testing.T) {
	var c *boundedcache.Cache[string, int]
	c.Add("a", 1, time.Minute)
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Error("a nil cache held a value")
	}
}

func TestAFillBegunBeforeAnInvalidationIsNotKept(t *testing.T) {
	var f boundedcache.Fence
	c := boundedcache.New[string, int](10, func(string, int) int { return 1 })
	epoch := f.Current()
	f.Advance(func() { c.Remove("a") }) // a write lands while the fill is on its way
	if f.Keep(epoch, func() { c.Add("a", 1, time.Minute) }) {
		t.Fatal("a fill older than the invalidation was kept")
	}
	if !f.Keep(f.Current(), func() { c.Add("a", 2, time.Minute) }) {
		t.Fatal("a fill begun after the invalidation was refused")
	}
	if v, ok := c.Get("a"); !ok || v != 2 {
		t.Errorf("a = %d, %v", v, ok)
	}
}
