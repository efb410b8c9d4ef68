package procstat

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestWatchSelf(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	go func() { // some CPU to measure
		for ctx.Err() == nil {
		}
	}()
	u := Watch(ctx, map[string]int{"self": os.Getpid(), "gone": 1 << 30}, 20*time.Millisecond)
	if s := u["self"]; s.PID != os.Getpid() || s.MaxRSSMB <= 0 || s.Error != "" {
		t.Fatalf("self: %+v", s)
	}
	if u["gone"].Error == "" {
		t.Fatalf("a missing process reported no error: %+v", u["gone"])
	}
}

func TestParsePIDs(t *testing.T) {
	got, err := ParsePIDs("moviesd=12, mariadbd=34")
	if err != nil || got["moviesd"] != 12 || got["mariadbd"] != 34 {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ParsePIDs("moviesd"); err == nil {
		t.Fatal("accepted a name without a pid")
	}
}
