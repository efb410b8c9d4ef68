package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/httpx"
)

type keyedGenre struct {
	Name string `json:"name"`
}

type keyedWrite struct {
	Name  *string       `json:"name,omitempty"`
	Genre *[]keyedGenre `json:"genre,omitempty"`
}

// Repeated and case-mismatched keys are a 400 naming the key, at any depth;
// unknown keys are still ignored.
func TestDecodeJSONRefusesDuplicateAndMiscasedKeys(t *testing.T) {
	for body, key := range map[string]string{
		`{"name":"a","name":"b"}`:                        "name",
		`{"Name":"a"}`:                                   "Name",
		`{"name":"a","Name":"b"}`:                        "Name",
		`{"genre":[{"name":"x","name":"y"}]}`:            "name",
		`{"genre":[{"NAME":"x"}]}`:                       "NAME",
		`{"extra":{"k":1,"k":2},"name":"a"}`:             "k",
		`{"nam\u0065":"a","name":"b"}`:                   "name",
		`{"name":"a","genre":[{"name":"x"}],"GENRE":[]}`: "GENRE",
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst keyedWrite
		err := httpx.DecodeJSON(httptest.NewRecorder(), r, &dst)
		e, ok := err.(*apierr.Error)
		if !ok || e.Kind != apierr.Invalid || len(e.Fields[key]) != 1 {
			t.Errorf("%s: %v, want a 400 naming %q", body, err, key)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"a","unknown":1,"genre":[{"name":"x","more":{}}]}`))
	r.Header.Set("Content-Type", "application/json")
	var dst keyedWrite
	if err := httpx.DecodeJSON(httptest.NewRecorder(), r, &dst); err != nil || *dst.Name != "a" || (*dst.Genre)[0].Name != "x" {
		t.Fatalf("a clean body: %v %+v", err, dst)
	}
}
