package refdata

import "testing"

func TestMoviesAreTheCatalogsReferenceData(t *testing.T) {
	ms := Movies()
	if len(ms) != 248 {
		t.Fatalf("%d movies, want 248", len(ms))
	}
	if ms[1].ID != 2 || ms[1].Name != "Star Wars" || ms[1].Genre[1].Name != "Adventure" || ms[1].Popularity != 88 {
		t.Errorf("movie 2: %+v", ms[1])
	}
}
