// Command loadtest makes the seed-x5 load on the movies platform: synthetic
// catalogs of millions of movies, and traffic against a loopback deployment.
//
// Usage:
//
//	loadtest gen -n N -seed S [-format imdb]  write N synthetic movies to stdout: JSON Lines, or
//	                                          an imdb.json-format array (MOVIES_CATALOG_IMPORT_FILE)
//	loadtest bulkload -n N -seed S            load them straight into the catalog database
//	                                          (MOVIES_CATALOG_DB_DRIVER, MOVIES_CATALOG_DB_DSN)
//	loadtest run [flags]                      drive the traffic model at a loopback target
//	                                          (loadtest run -h for the flags)
//	loadtest closed [flags]                   drive one GET closed-loop at full speed: N workers,
//	                                          each sending as soon as it is answered
//	loadtest searchbench -n N -seed S         index them into the memory search engine and
//	                                          measure indexing, snapshot, searches, recall
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

const usage = "usage: loadtest gen|bulkload|run|closed|searchbench [flags] (-h after a command for its flags)"

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf(usage)
	}
	switch args[0] {
	case "gen":
		return genCmd(args[1:])
	case "bulkload":
		return bulkloadCmd(args[1:])
	case "run":
		return runCmd(args[1:])
	case "closed":
		return closedCmd(args[1:])
	case "searchbench":
		return searchbenchCmd(args[1:])
	}
	return fmt.Errorf(usage)
}
