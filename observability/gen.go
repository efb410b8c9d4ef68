// Package observability holds the platform's SLOs, alerts and dashboards as
// code. It is its own module so none of it reaches the service binaries.
package observability

//go:generate go run ./cmd/obsgen -root ..
