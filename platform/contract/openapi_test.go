package contract

import (
	"encoding/json"
	"testing"
)

// TestOpenAPIDocumentsTheAnswersEveryOperationCanGive checks the answers no
// handler chooses but every request can get: the router's 405 with Allow,
// the recoverer's 500, and the request id every answer carries. The gateway's
// tests check the rest of the document against the live router.
func TestOpenAPIDocumentsTheAnswersEveryOperationCanGive(t *testing.T) {
	type response struct {
		Ref     string                     `json:"$ref"`
		Headers map[string]json.RawMessage `json:"headers"`
	}
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Responses map[string]response `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) == 0 || doc.Servers[0].URL != "/" {
		t.Errorf("servers %+v: want the serving gateway, \"/\", first", doc.Servers)
	}
	hasRequestID := func(where string, r response) {
		if r.Ref == "" && r.Headers[HeaderRequestID] == nil {
			t.Errorf("%s: no %s header", where, HeaderRequestID)
		}
	}
	for name, r := range doc.Components.Responses {
		hasRequestID("components.responses."+name, r)
	}
	if doc.Components.Responses["MethodNotAllowed"].Headers["Allow"] == nil {
		t.Error("405 without Allow")
	}
	if doc.Components.Responses["Unavailable"].Headers["Retry-After"] == nil {
		t.Error("503 without Retry-After")
	}
	type operation struct {
		Parameters []struct {
			Ref string `json:"$ref"`
		} `json:"parameters"`
		Responses map[string]response `json:"responses"`
	}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			where := method + " " + path
			for code, ref := range map[string]string{
				"405": "#/components/responses/MethodNotAllowed",
				"500": "#/components/responses/InternalError",
			} {
				if op.Responses[code].Ref != ref {
					t.Errorf("%s: %s is not %s", where, code, ref)
				}
			}
			if r, ok := op.Responses["503"]; ok && r.Ref != "#/components/responses/Unavailable" {
				t.Errorf("%s: 503 does not use the shared answer with Retry-After", where)
			}
			for code, r := range op.Responses {
				hasRequestID(where+" "+code, r)
			}
			found := false
			for _, p := range op.Parameters {
				found = found || p.Ref == "#/components/parameters/RequestId"
			}
			if !found {
				t.Errorf("%s: the %s request header is not documented", where, HeaderRequestID)
			}
		}
	}
}
