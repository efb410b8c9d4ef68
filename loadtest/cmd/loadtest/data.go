package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/moviesplatform/catalog-svc/bulkload"
	"github.com/moviesplatform/loadtest/gen"
	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/sqldb"
)

// catalogDB is where bulkload writes: the catalog's own variables.
type catalogDB struct {
	Driver string `env:"CATALOG_DB_DRIVER" envDefault:"sqlite"`
	DSN    string `env:"CATALOG_DB_DSN" envDefault:"file:data/catalog.db" secret:"true"`
}

func generator(fs *flag.FlagSet, args []string) (*gen.Generator, error) {
	n := fs.Int64("n", 1000, "number of movies")
	seed := fs.Uint64("seed", 1, "seed: the same seed gives the same catalog")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	genres, err := gen.ReferenceGenres()
	if err != nil {
		return nil, err
	}
	return gen.New(*n, *seed, genres)
}

func genCmd(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	format := fs.String("format", "jsonl", `"jsonl": one movie a line as the API shows it (for bulkload); "imdb": the seed's imdb.json format, a JSON array (for MOVIES_CATALOG_IMPORT_FILE)`)
	g, err := generator(fs, args)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	switch *format {
	case "jsonl":
		err = writeJSONLines(w, g)
	case "imdb":
		err = writeIMDB(w, g)
	default:
		return fmt.Errorf("gen: unknown -format %q (jsonl or imdb)", *format)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func writeJSONLines(w io.Writer, g *gen.Generator) error {
	enc := json.NewEncoder(w)
	for m := range g.Movies() {
		if err := enc.Encode(m); err != nil {
			return err
		}
	}
	return nil
}

// imdbRecord is one movie of the seed's imdb.json: no id, popularity under
// "99popularity", and genre names after the first with a leading space, as
// the seed's file has them (the importer trims them).
type imdbRecord struct {
	Popularity contract.Float `json:"99popularity"`
	Director   string         `json:"director"`
	Genre      []string       `json:"genre"`
	IMDBScore  contract.Float `json:"imdb_score"`
	Name       string         `json:"name"`
}

// writeIMDB writes g's movies as one JSON array in the seed's imdb.json
// format, one movie a line.
func writeIMDB(w io.Writer, g *gen.Generator) error {
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	sep := ""
	for m := range g.Movies() {
		r := imdbRecord{Popularity: m.Popularity, Director: m.Director, IMDBScore: m.IMDBScore, Name: m.Name, Genre: make([]string, len(m.Genre))}
		for i, genre := range m.Genre {
			r.Genre[i] = genre.Name
			if i > 0 {
				r.Genre[i] = " " + genre.Name
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "%s%s", sep, b); err != nil {
			return err
		}
		sep = ",\n"
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

func bulkloadCmd(args []string) error {
	fs := flag.NewFlagSet("bulkload", flag.ContinueOnError)
	batch := fs.Int("batch", 0, "movies per INSERT or LOAD DATA statement (0: the loader's default, 2000 or 20,000)")
	tx := fs.Int("tx", 0, "movies per transaction on MySQL (0: the loader's default, -1: one)")
	conns := fs.Int("conns", 0, "connections loading in parallel on MySQL (0: the loader's default)")
	insert := fs.Bool("insert", false, "INSERT statements even where the server takes LOAD DATA LOCAL INFILE")
	keepIndexes := fs.Bool("keep-indexes", false, "keep the secondary indexes during a load into an empty catalog instead of rebuilding them after")
	migrate := fs.Bool("migrate", true, "bring the catalog schema up to date first")
	g, err := generator(fs, args)
	if err != nil {
		return err
	}
	var cfg catalogDB
	if err := config.Load(&cfg); err != nil {
		return err
	}
	driver, err := sqldb.ParseDriver(cfg.Driver)
	if err != nil {
		return err
	}
	ctx, stop := runner.SignalContext()
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	res, err := bulkload.Load(ctx, bulkload.Target{Driver: driver, DSN: cfg.DSN, Migrate: *migrate}, bulkload.Movies(g.Movies()), bulkload.Options{
		BatchMovies: *batch, TxMovies: *tx, Connections: *conns, Insert: *insert, KeepIndexes: *keepIndexes,
		Progress: func(n int64) {
			log.Info("loaded", "movies", n, "rate", fmt.Sprintf("%.0f/s", float64(n)/time.Since(start).Seconds()))
		},
	})
	if err != nil {
		return err
	}
	log.Info("bulk load done", "method", res.Method, "movies", res.Movies, "first_id", res.FirstID, "last_id", res.LastID,
		"elapsed", res.Elapsed.Round(time.Millisecond), "rate", fmt.Sprintf("%.0f movies/s", res.Rate()),
		"index_build", res.IndexBuild.Round(time.Millisecond), "analyze", res.Analyze.Round(time.Millisecond))
	return context.Cause(ctx)
}
