package chartcheck_test

import (
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// dbKeys lists the keys of the database Secret a pod's containers read.
func dbKeys(spec corev1.PodSpec, secret string) []string {
	var keys []string
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		for _, e := range c.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && r.SecretKeyRef.Name == secret {
				keys = append(keys, r.SecretKeyRef.Key)
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil && f.SecretRef.Name == secret {
				keys = append(keys, "*")
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// TestDatabaseAccounts: every pod gets only its own service's database
// credentials: the catalog's pods never the auth DSN and the reverse, the
// gateway and search none, and a migrate DSN reaches only that service's
// migration Job, never a Deployment or the seed Job. With
// database.separateMigrateAccounts the migration Jobs read the migrate keys;
// without, they use the runtime DSN as before. existingSecret names the
// Secret every reference reads.
func TestDatabaseAccounts(t *testing.T) {
	// Without separate migrate accounts, a migration Job reads what its service's pods read.
	oneAccount := map[string]string{
		"movies-catalog": "catalog-dsn,catalog-replica-dsns", "movies-auth": "auth-dsn",
		"movies-migrate-catalog": "catalog-dsn,catalog-replica-dsns", "movies-migrate-auth": "auth-dsn",
		"movies-seed-catalog": "catalog-dsn,catalog-replica-dsns",
	}
	for _, tc := range []struct {
		name   string
		values map[string]any
		secret string
		want   map[string]string // object name -> the DB keys it reads
	}{
		{
			name: "separate migrate accounts",
			values: map[string]any{"database": map[string]any{"mode": "external", "separateMigrateAccounts": true,
				"external": map[string]any{"existingSecret": "mysql-accounts"}}},
			secret: "mysql-accounts",
			want: map[string]string{
				"movies-catalog": "catalog-dsn,catalog-replica-dsns", "movies-auth": "auth-dsn",
				"movies-migrate-catalog": "catalog-dsn,catalog-migrate-dsn,catalog-replica-dsns", "movies-migrate-auth": "auth-dsn,auth-migrate-dsn",
				"movies-seed-catalog": "catalog-dsn,catalog-replica-dsns",
			},
		},
		{
			name:   "one account per service",
			values: map[string]any{"database": map[string]any{"mode": "external", "external": map[string]any{"existingSecret": "mysql"}}},
			secret: "mysql",
			want:   oneAccount,
		},
		{
			name:   "vitess",
			values: nil,
			secret: "movies-db",
			want:   oneAccount,
		},
		{
			name:   "vitess with separate migrate users",
			values: vitessSeparate,
			secret: "movies-db",
			want: map[string]string{
				"movies-catalog": "catalog-dsn,catalog-replica-dsns", "movies-auth": "auth-dsn",
				"movies-migrate-catalog": "catalog-dsn,catalog-migrate-dsn,catalog-replica-dsns", "movies-migrate-auth": "auth-dsn,auth-migrate-dsn",
				"movies-seed-catalog": "catalog-dsn,catalog-replica-dsns",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, o := range renderFor(t, nil, tc.values) {
				var name string
				var spec corev1.PodSpec
				switch d := o.Typed.(type) {
				case *appsv1.Deployment:
					name, spec = d.Name, d.Spec.Template.Spec
				case *appsv1.StatefulSet:
					name, spec = d.Name, d.Spec.Template.Spec
				case *batchv1.Job:
					name, spec = d.Name, d.Spec.Template.Spec
				default:
					continue
				}
				keys := dbKeys(spec, tc.secret)
				if len(keys) == 0 {
					continue
				}
				got[name] = strings.Join(keys, ",")
				// The rules themselves, whatever the expected table says.
				for _, k := range keys {
					own := strings.Contains(name, "catalog") && strings.HasPrefix(k, "catalog-") ||
						strings.Contains(name, "auth") && strings.HasPrefix(k, "auth-")
					if !own {
						t.Errorf("%s reads %s/%s, another service's (or an unknown) key", name, tc.secret, k)
					}
					if strings.HasSuffix(k, "-migrate-dsn") && !strings.HasPrefix(name, "movies-migrate-") {
						t.Errorf("%s reads the migrate DSN %s: only a migration Job may", name, k)
					}
				}
			}
			for name, keys := range tc.want {
				if got[name] != keys {
					t.Errorf("%s reads %q from %s, want %q", name, got[name], tc.secret, keys)
				}
			}
			for name, keys := range got {
				if _, ok := tc.want[name]; !ok {
					t.Errorf("%s reads database credentials %q", name, keys)
				}
			}
		})
	}
}
