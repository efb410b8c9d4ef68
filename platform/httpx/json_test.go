package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/httpx"
)

type decoded struct {
	Name  string   `json:"name"`
	Score float64  `json:"score"`
	Genre []string `json:"genre"`
	Inner struct {
		Flag bool `json:"flag"`
	} `json:"inner"`
}

func TestDecodeJSON(t *testing.T) {
	big := `{"name": "` + strings.Repeat("x", httpx.MaxBodyBytes) + `"}`
	cases := []struct {
		name, contentType, body string
		kind                    apierr.Kind // when failing
		detail                  string      // a prefix of the detail, when failing
		fields                  map[string][]string
		want                    decoded // when succeeding
	}{
		{name: "object", contentType: "application/json", body: `{"name": "Alien", "score": 8.5, "genre": ["Horror"]}`,
			want: decoded{Name: "Alien", Score: 8.5, Genre: []string{"Horror"}}},
		{name: "charset parameter", contentType: "application/json; charset=utf-8", body: `{"name": "Alien"}`,
			want: decoded{Name: "Alien"}},
		{name: "a +json type", contentType: "application/merge-patch+json", body: `{"name": "Alien"}`,
			want: decoded{Name: "Alien"}},
		{name: "unknown fields are ignored", contentType: "application/json", body: `{"name": "Alien", "budget": 1}`,
			want: decoded{Name: "Alien"}},
		{name: "trailing whitespace", contentType: "application/json", body: "{\"name\": \"Alien\"}\n\t ",
			want: decoded{Name: "Alien"}},
		{name: "no content type", body: `{}`, kind: apierr.UnsupportedMediaType, detail: `Unsupported media type "" in request.`},
		{name: "text", contentType: "text/plain", body: `{}`, kind: apierr.UnsupportedMediaType,
			detail: `Unsupported media type "text/plain" in request.`},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: `name=x`, kind: apierr.UnsupportedMediaType},
		{name: "unparsable content type", contentType: "application/json; =", body: `{}`, kind: apierr.UnsupportedMediaType},
		{name: "empty body", contentType: "application/json", body: ``, kind: apierr.Invalid,
			detail: "JSON parse error - unexpected end of input."},
		{name: "cut short", contentType: "application/json", body: `{"name": "x",`, kind: apierr.Invalid,
			detail: "JSON parse error - unexpected end of input."},
		{name: "malformed", contentType: "application/json", body: `{"name": x}`, kind: apierr.Invalid,
			detail: "JSON parse error - invalid character 'x'"},
		{name: "an array", contentType: "application/json", body: `[1, 2]`, kind: apierr.Invalid,
			detail: "JSON parse error - expected a JSON object."},
		{name: "a string", contentType: "application/json", body: `"x"`, kind: apierr.Invalid,
			detail: "JSON parse error - expected a JSON object."},
		{name: "two values", contentType: "application/json", body: `{"name": "a"} {"name": "b"}`, kind: apierr.Invalid,
			detail: "JSON parse error - trailing data after the JSON value."},
		{name: "trailing garbage", contentType: "application/json", body: `{"name": "a"}]`, kind: apierr.Invalid,
			detail: "JSON parse error - trailing data after the JSON value."},
		{name: "a number where a string goes", contentType: "application/json", body: `{"name": 3}`, kind: apierr.Invalid,
			fields: map[string][]string{"name": {"Not a valid string."}}},
		{name: "a string where a number goes", contentType: "application/json", body: `{"score": "high"}`, kind: apierr.Invalid,
			fields: map[string][]string{"score": {"A valid number is required."}}},
		{name: "an object where a list goes", contentType: "application/json", body: `{"genre": {}}`, kind: apierr.Invalid,
			fields: map[string][]string{"genre": {"Expected a list of items."}}},
		{name: "a wrong type in a list", contentType: "application/json", body: `{"genre": [1]}`, kind: apierr.Invalid,
			fields: map[string][]string{"genre": {"Not a valid string."}}},
		{name: "a wrong type inside an object names the top field", contentType: "application/json",
			body: `{"inner": {"flag": "yes"}}`, kind: apierr.Invalid,
			fields: map[string][]string{"inner": {"Must be a valid boolean."}}},
		{name: "over the limit", contentType: "application/json", body: big, kind: apierr.TooLarge,
			detail: apierr.MsgTooLarge},
		{name: "over the limit after the value", contentType: "application/json",
			body: `{"name": "x"}` + strings.Repeat(" ", httpx.MaxBodyBytes), kind: apierr.TooLarge, detail: apierr.MsgTooLarge},
		{name: "exactly the limit", contentType: "application/json",
			body: `{"name": "` + strings.Repeat("x", httpx.MaxBodyBytes-len(`{"name": ""}`)) + `"}`,
			want: decoded{Name: strings.Repeat("x", httpx.MaxBodyBytes-len(`{"name": ""}`))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/movies/", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var got decoded
			err := httpx.DecodeJSON(httptest.NewRecorder(), r, &got)
			if tc.kind == 0 && tc.detail == "" && tc.fields == nil {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("decoded %+v, want %+v", got, tc.want)
				}
				return
			}
			var e *apierr.Error
			if !errors.As(err, &e) {
				t.Fatalf("DecodeJSON = %v, want an apierr.Error", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind %v (status %d), want status %d: %v", e.Kind, e.Kind.Status(), tc.kind.Status(), err)
			}
			if !strings.HasPrefix(e.Detail, tc.detail) {
				t.Errorf("detail %q, want it to start with %q", e.Detail, tc.detail)
			}
			if tc.fields != nil && !reflect.DeepEqual(e.Fields, tc.fields) {
				t.Errorf("fields %v, want %v", e.Fields, tc.fields)
			}
		})
	}
}

// What a client sees: the encoder turns each decode failure into its status.
func TestDecodeJSONStatuses(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v decoded
		if err := httpx.DecodeJSON(w, r, &v); err != nil {
			apierr.Encode(r.Context(), err, w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		contentType, body string
		status            int
	}{
		{"application/json", `{"name": "x"}`, 204},
		{"application/json", `{"name": `, 400},
		{"application/json", `{"score": "x"}`, 400},
		{"text/csv", `name\nx`, 415},
		{"application/json", `{"name": "` + strings.Repeat("x", 2*httpx.MaxBodyBytes) + `"}`, 413},
	} {
		resp, err := http.Post(srv.URL, tc.contentType, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %.40q = %d, want %d", tc.contentType, tc.body, resp.StatusCode, tc.status)
		}
	}
}
