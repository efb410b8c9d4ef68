# The two commands of the README, plus the pieces they are made of.
SHELL := /bin/bash
BIN   := bin

.PHONY: run test build bench loadtest tidy

## run: build moviesd and run every service in one process on the embedded
## defaults (SQLite, Bleve), with the reference data and a dev admin.
run:
	@scripts/run.sh

## test: every test: unit, store conformance on SQLite and real MariaDB,
## end-to-end through the gateway (services as separate processes and all in
## one moviesd), the Kubernetes delivery checks, the alerting rules and
## dashboards against a real Prometheus, and the traces against a real Jaeger
## (built once and cached). Starts MariaDB/Redis if nothing answers.
test:
	@scripts/test.sh

## build: every binary into ./bin
build:
	@mkdir -p $(BIN)
	go build -o $(BIN)/ ./moviesd ./gateway/cmd/gateway ./catalog-svc/cmd/catalog-svc \
		./auth-svc/cmd/auth-svc ./search-svc/cmd/search-svc

## tidy: go mod tidy in every module
tidy:
	@for m in $$(go list -m -f '{{.Dir}}'); do (cd $$m && go mod tidy) || exit 1; done
