// Command obsgen writes the generated observability files of the repository:
// the Prometheus rules and the Grafana dashboards the chart ships.
//
//	go run ./cmd/obsgen -root ..
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/moviesplatform/observability/generate"
)

func main() {
	root := flag.String("root", "..", "repository root")
	flag.Parse()
	if err := generate.Write(*root); err != nil {
		fmt.Fprintln(os.Stderr, "obsgen:", err)
		os.Exit(1)
	}
}
