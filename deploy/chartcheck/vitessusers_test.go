package chartcheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moviesplatform/deploy/chartcheck"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// vitessServices are the services with a database, each with its own vtgate user.
var vitessServices = []string{"catalog", "auth"}

// dsnUser is the user and password of a go-sql-driver DSN (user:password@tcp(host)/db).
func dsnUser(t *testing.T, dsn string) (user, password string) {
	t.Helper()
	cred, _, ok := strings.Cut(dsn, "@tcp(")
	if !ok {
		t.Fatalf("DSN %q: no @tcp(", dsn)
	}
	user, password, _ = strings.Cut(cred, ":")
	return user, password
}

func findObject(t *testing.T, objs []chartcheck.Object, kind, name string) chartcheck.Object {
	t.Helper()
	for _, o := range objs {
		if o.GVK.Kind == kind && o.Raw.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return chartcheck.Object{}
}

// vitessSeparate are the values that give each service a migrate user of its own in Vitess mode.
var vitessSeparate = map[string]any{"database": map[string]any{"separateMigrateAccounts": true}}

// TestVitessDatabaseUsers: in Vitess mode vtgate knows one user per service, named after it, with
// its own generated password, and each service's DSNs log in as that user, so the tablets' table
// ACL can tell the catalog from auth. With database.separateMigrateAccounts each service also has
// a <service>_migrate user, whose DSN only the migration Job reads (TestDatabaseAccounts).
func TestVitessDatabaseUsers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		dsns   map[string]string // Secret key -> the user it must log in as
	}{
		{"one user per service", nil, map[string]string{"catalog-dsn": "catalog", "catalog-replica-dsns": "catalog", "auth-dsn": "auth"}},
		{"separate migrate users", vitessSeparate, map[string]string{"catalog-dsn": "catalog", "catalog-replica-dsns": "catalog", "auth-dsn": "auth",
			"catalog-migrate-dsn": "catalog_migrate", "auth-migrate-dsn": "auth_migrate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := findObject(t, renderFor(t, nil, tc.values), "Secret", "movies-db").Typed.(*corev1.Secret)
			var users map[string][]struct{ UserData, Password string }
			if err := json.Unmarshal(secret.Data["users.json"], &users); err != nil {
				t.Fatalf("users.json: %v", err)
			}
			var names, want []string
			for name := range users {
				names = append(names, name)
			}
			for _, user := range tc.dsns {
				if !slices.Contains(want, user) {
					want = append(want, user)
				}
			}
			sort.Strings(names)
			sort.Strings(want)
			if !slices.Equal(names, want) {
				t.Fatalf("users.json has users %v, want exactly %v", names, want)
			}
			seen := map[string]string{}
			for _, user := range want {
				entries := users[user]
				if len(entries) != 1 || entries[0].UserData != user || len(entries[0].Password) < 32 {
					t.Fatalf("users.json %s: %+v, want one entry, UserData %q, a generated password", user, entries, user)
				}
				password := entries[0].Password
				if other, ok := seen[password]; ok {
					t.Errorf("%s and %s share a password", user, other)
				}
				seen[password] = user
				// The generator's record, which movies.generated reads back on upgrade.
				key := strings.ReplaceAll(user, "_", "-") + "-password"
				if got := string(secret.Data[key]); got != password {
					t.Errorf("%s does not hold users.json's password for %s", key, user)
				}
			}
			for key, want := range tc.dsns {
				for dsn := range strings.SplitSeq(string(secret.Data[key]), ",") {
					user, pw := dsnUser(t, dsn)
					if user != want || pw != users[want][0].Password {
						t.Errorf("%s logs in as %q (password matches: %v), want %q", key, user, pw == users[want][0].Password, want)
					}
				}
			}
		})
	}
}

// tableGroup is one group of Vitess's tableacl JSON.
type tableGroup struct {
	Name                     string   `json:"name"`
	TableNamesOrPrefixes     []string `json:"table_names_or_prefixes"`
	Readers, Writers, Admins []string
}

func (g tableGroup) matches(table string) bool {
	for _, n := range g.TableNamesOrPrefixes {
		if p, ok := strings.CutSuffix(n, "%"); ok && strings.HasPrefix(table, p) || n == table {
			return true
		}
	}
	return false
}

var createTable = regexp.MustCompile("(?i)CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`?(\\w+)`?")
var versionTableConst = regexp.MustCompile(`Migrations?Table\s*=\s*"(\w+)"`)

// serviceTables are the tables a service's MySQL migrations create, plus goose's version table
// (its store's Migration(s)Table), all in keyspace `movies`, which the services share.
func serviceTables(t *testing.T, svc string) []string {
	t.Helper()
	root := filepath.Join("..", "..", svc+"-svc", "store")
	files, err := filepath.Glob(filepath.Join(root, "migrations", "mysql", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no MySQL migrations under %s (err=%v)", svc, root, err)
	}
	store, err := os.ReadFile(filepath.Join(root, "store.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := versionTableConst.FindSubmatch(store)
	if m == nil {
		t.Fatalf("%s/store.go names no migration version table", root)
	}
	tables := []string{string(m[1])}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllSubmatch(data, -1) {
			tables = append(tables, string(m[1]))
		}
	}
	return tables
}

// TestVitessTableACL: every vttablet enforces the chart's table ACL, and it gives each service's
// users its own tables only: the runtime user reads and writes them, DDL goes to the user the
// migration Job runs as (the runtime user itself, or <service>_migrate with
// database.separateMigrateAccounts), and no user of the other service gets anything on them.
func TestVitessTableACL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		values   map[string]any
		separate bool
	}{
		{"defaults", nil, false},
		{"vitess", readValues(t, ciValues(t)["vitess"]), false},
		{"separate migrate users", vitessSeparate, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := renderFor(t, chartcheck.ClusterAPIVersions, tc.values)
			cm := findObject(t, objs, "ConfigMap", "movies-vitess-acl").Typed.(*corev1.ConfigMap)
			var acl struct {
				TableGroups []tableGroup `json:"table_groups"`
			}
			dec := json.NewDecoder(strings.NewReader(cm.Data["acl.json"]))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&acl); err != nil {
				t.Fatalf("acl.json: %v", err)
			}
			for _, svc := range vitessServices {
				migrator := svc
				if tc.separate {
					migrator = svc + "_migrate"
				}
				want := map[string][]string{"reader": uniqSorted(svc, migrator), "writer": uniqSorted(svc, migrator), "admin": {migrator}}
				for _, table := range serviceTables(t, svc) {
					var groups []tableGroup
					for _, g := range acl.TableGroups {
						if g.matches(table) {
							groups = append(groups, g)
						}
					}
					if len(groups) != 1 {
						t.Errorf("%s table %s is in %d ACL groups, want 1 (strict table ACL refuses a table in none)", svc, table, len(groups))
						continue
					}
					g := groups[0]
					for role, members := range map[string][]string{"reader": g.Readers, "writer": g.Writers, "admin": g.Admins} {
						if got := uniqSorted(members...); !slices.Equal(got, want[role]) {
							t.Errorf("%s table %s (group %s): %ss %v, want %v (no other service's user)", svc, table, g.Name, role, got, want[role])
						}
					}
				}
			}

			cluster := findObject(t, objs, "VitessCluster", "movies").Raw
			keyspaces, _, _ := unstructured.NestedSlice(cluster.Object, "spec", "keyspaces")
			pools := 0
			for _, ks := range keyspaces {
				parts, _, _ := unstructured.NestedSlice(ks.(map[string]any), "partitionings")
				for _, part := range parts {
					tps, _, _ := unstructured.NestedSlice(part.(map[string]any), "equal", "shardTemplate", "tabletPools")
					for _, tp := range tps {
						pools++
						checkTabletPoolACL(t, tp.(map[string]any), cm.Name)
					}
				}
			}
			if pools == 0 {
				t.Fatal("VitessCluster has no tablet pools")
			}
		})
	}
}

// checkTabletPoolACL: the pool's vttablets read the ACL ConfigMap at the path their flags name,
// refuse to start without it and refuse tables it does not name.
func checkTabletPoolACL(t *testing.T, pool map[string]any, configMap string) {
	t.Helper()
	flags, _, _ := unstructured.NestedStringMap(pool, "vttablet", "extraFlags")
	for flag, want := range map[string]string{"enforce-tableacl-config": "true", "queryserver-config-strict-table-acl": "true"} {
		if flags[flag] != want {
			t.Errorf("vttablet --%s=%q, want %q", flag, flags[flag], want)
		}
	}
	path := flags["table-acl-config"]
	volumes, _, _ := unstructured.NestedSlice(pool, "extraVolumes")
	mounts, _, _ := unstructured.NestedSlice(pool, "extraVolumeMounts")
	for _, m := range mounts {
		mount := m.(map[string]any)
		if filepath.Join(mount["mountPath"].(string), "acl.json") != path {
			continue
		}
		for _, v := range volumes {
			vol := v.(map[string]any)
			name, _, _ := unstructured.NestedString(vol, "configMap", "name")
			if vol["name"] == mount["name"] && name == configMap {
				return
			}
		}
	}
	t.Errorf("vttablet --table-acl-config=%q is not acl.json of a mounted ConfigMap %s (volumes %v, mounts %v)", path, configMap, volumes, mounts)
}

func uniqSorted(names ...string) []string {
	out := slices.Clone(names)
	sort.Strings(out)
	return slices.Compact(out)
}

func readValues(t *testing.T, files []string) map[string]any {
	t.Helper()
	values, err := chartcheck.ReadValues(files...)
	if err != nil {
		t.Fatal(err)
	}
	return values
}
