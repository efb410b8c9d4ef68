// Command moviesd runs the movies platform's services in one process, in
// the manner of Grafana Tempo's -target: `-target=all` (the default) runs
// every service with in-process calls between them; `-target=catalog` (or a
// comma-separated list) runs only those, reaching the others over HTTP.
//
// Usage:
//
//	moviesd [-target=all|catalog|auth|search|gateway[,...]]
//	moviesd migrate          bring the catalog and auth schemas up to date and exit
//	moviesd import [file]    load an imdb.json-format file into the catalog and exit
//	moviesd keys dir         make the service key pairs (<issuer>.key, <issuer>.pub)
//	                         of the callers, gateway, search and operator, in dir,
//	                         keeping pairs already there; dir is then every
//	                         service's MOVIES_*_SERVICE_TRUSTED_KEYS
//	moviesd token key aud [user]  print a 60-second operator token for service
//	                         aud, signed with the operator key file
//	moviesd db-users [-print] [-host h] [-admin-dsn-file f]
//	                         create or update the MySQL accounts the catalog's and
//	                         auth's DSNs and migrate DSNs name, each with exactly
//	                         its role's grants on its own schema, as the admin
//	                         DSN (MOVIES_DB_ADMIN_DSN); -print writes the SQL
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/moviesplatform/gateway/cursorsig"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/servicetoken"

	authapp "github.com/moviesplatform/auth-svc/app"
	catalogapp "github.com/moviesplatform/catalog-svc/app"
)

func main() {
	var cfg settings
	runner.Main("moviesd", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
		target := fs.String("target", targetAll, "modules to run: all, or a comma-separated list of "+strings.Join(modules, ", "))
		if err := fs.Parse(args); err != nil {
			return err
		}
		targets, err := parseTargets(*target)
		if err != nil {
			return err
		}
		cmd, rest := "serve", fs.Args()
		if len(rest) > 0 {
			cmd, rest = rest[0], rest[1:]
		}
		switch {
		case cmd == "migrate" && len(rest) == 0:
			if err := catalogapp.Migrate(ctx, cfg.Catalog, p.Log); err != nil {
				return err
			}
			return authapp.Migrate(ctx, cfg.Auth, p.Log)
		case cmd == "import" && len(rest) <= 1:
			path := ""
			if len(rest) == 1 {
				path = rest[0]
			}
			return catalogapp.Import(ctx, cfg.Catalog, p.Log, path)
		case cmd == "keys" && len(rest) == 1:
			for _, issuer := range []string{servicetoken.Gateway, servicetoken.Search, servicetoken.Operator} {
				if err := servicetoken.GenerateKeyFiles(rest[0], issuer); err != nil {
					return err
				}
			}
			return cursorsig.GenerateKeyFile(rest[0])
		case cmd == "token" && (len(rest) == 2 || len(rest) == 3):
			return printOperatorToken(rest)
		case cmd == "db-users":
			return dbUsers(ctx, cfg, rest, os.Stdout)
		case cmd == "serve" && len(rest) == 0:
		default:
			return fmt.Errorf("usage: %s [-target=...] [serve|migrate|import [file]|keys dir|token key audience [user]|db-users [-print]]", p.Name)
		}
		p.Log.Info("modules", "targets", strings.Join(targets, ","))
		a := &assembly{cfg: cfg, log: p.Log, tracing: p.Tracing}
		if err := a.build(ctx, targets); err != nil {
			return err
		}
		return p.Serve(ctx, a.comps...)
	})
}

// printOperatorToken prints an operator's token: args are the operator's
// key file, the service it is for and the person's name.
func printOperatorToken(args []string) error {
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	key, err := servicetoken.ParsePrivateKey(data)
	if err != nil {
		return err
	}
	s, err := servicetoken.NewSigner(servicetoken.Operator, key, servicetoken.MaxTTL)
	if err != nil {
		return err
	}
	var actor servicetoken.Actor
	if len(args) == 3 {
		actor.Username = args[2]
	}
	tok, err := s.Token(args[1], actor)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}
