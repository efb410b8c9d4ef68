// Command bare-db is the ceiling an uncached detail GET is compared with: a
// plain net/http server that answers GET /api/movie/{id}/ with the catalog
// store's own two primary-key queries (the movie, then its genres in
// order) on the catalog database, encoded as the API does. No gateway,
// go-kit, auth, cache or metrics: the database path alone.
//
// Usage: MOVIES_CATALOG_DB_DRIVER=mysql MOVIES_CATALOG_DB_DSN=... bare-db -addr 127.0.0.1:9091
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

type settings struct {
	Driver string `env:"CATALOG_DB_DRIVER" envDefault:"sqlite"`
	DSN    string `env:"CATALOG_DB_DSN" envDefault:"file:data/catalog.db" secret:"true"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bare-db:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9091", "listen address")
	flag.Parse()
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	driver, err := sqldb.ParseDriver(cfg.Driver)
	if err != nil {
		return err
	}
	db, err := sqldb.Open(context.Background(), driver, cfg.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/movie/{id}/", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.Error(w, `{"detail": "Not found."}`, http.StatusNotFound)
			return
		}
		m, err := get(r.Context(), db, id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			http.Error(w, `{"detail": "Not found."}`, http.StatusNotFound)
		case err != nil:
			http.Error(w, `{"detail": "database error"}`, http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(m)
		}
	})
	fmt.Fprintf(os.Stderr, "bare-db: %s on %s\n", driver, *addr)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// get runs the same statements as the catalog store's Get.
func get(ctx context.Context, db *sql.DB, id int64) (contract.Movie, error) {
	m := contract.Movie{ID: id, Genre: []contract.Genre{}}
	if err := db.QueryRowContext(ctx, "SELECT name, director, popularity, imdb_score FROM movies WHERE id = ?", id).
		Scan(&m.Name, &m.Director, &m.Popularity, &m.IMDBScore); err != nil {
		return m, err
	}
	rows, err := db.QueryContext(ctx, `SELECT mg.movie_id, g.name FROM movie_genres mg
		JOIN genres g ON g.id = mg.genre_id
		WHERE mg.movie_id IN (?)
		ORDER BY mg.movie_id, mg.position`, id)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			movieID int64
			g       contract.Genre
		)
		if err := rows.Scan(&movieID, &g.Name); err != nil {
			return m, err
		}
		m.Genre = append(m.Genre, g)
	}
	return m, rows.Err()
}
