package memengine

import "testing"

// The cache keeps at most its bound, dropping the entry used longest ago.
func TestLRUDropsTheLeastRecentlyUsed(t *testing.T) {
	c := newLRU[string, int](2)
	c.put("a", 1)
	c.put("b", 2)
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Fatalf("a: %d, %v", v, ok)
	}
	c.put("c", 3) // drops b, used before a
	if _, ok := c.get("b"); ok {
		t.Error("b kept past the bound")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.get(k); !ok || v != want {
			t.Errorf("%s: %d, %v; want %d", k, v, ok, want)
		}
	}
	c.put("a", 4)
	if v, _ := c.get("a"); v != 4 {
		t.Errorf("a after an update: %d", v)
	}
	if len(c.items) != 2 || c.order.Len() != 2 {
		t.Errorf("%d entries, %d in order; bound 2", len(c.items), c.order.Len())
	}
}
