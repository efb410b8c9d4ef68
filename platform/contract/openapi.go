package contract

import (
	_ "embed"
	"slices"
)

// openAPIDocument is the OpenAPI 3.1 description of the public API, kept next
// to the route constants it documents; the gateway's tests check the two
// against each other.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document (JSON) of the public API.
func OpenAPI() []byte { return slices.Clone(openAPIDocument) }
