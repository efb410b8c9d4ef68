package readpref_test

import (
	"context"
	"testing"

	"github.com/moviesplatform/platform/readpref"
)

func TestPrimaryMark(t *testing.T) {
	ctx := context.Background()
	if readpref.Primary(ctx) {
		t.Fatal("an unmarked context asks for the primary")
	}
	marked := readpref.WithPrimary(ctx)
	if !readpref.Primary(marked) {
		t.Fatal("a marked context does not ask for the primary")
	}
	type other struct{}
	if !readpref.Primary(context.WithValue(marked, other{}, 1)) {
		t.Fatal("the mark is lost in a derived context")
	}
}
