package chartcheck_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestDataTierCredentials: the Redis user, password and TLS of redis.auth
// and redis.tls reach the gateway, catalog and auth (and the internal Redis
// requires the password); the search-only Meilisearch key reaches
// search-svc beside the indexer's; trusted proxies and rate limits reach
// the gateway's variables.
func TestDataTierCredentials(t *testing.T) {
	values := map[string]any{
		"redis": map[string]any{
			"auth": map[string]any{"username": "movies", "existingSecret": "redis-creds"},
			"tls":  map[string]any{"enabled": true, "caSecret": "redis-ca", "serverName": "redis.db", "clientCertSecret": "redis-client"},
		},
		"gateway": map[string]any{
			"trustedProxies": []any{"10.0.0.0/8", "fd00::/8"},
			"rateLimit":      map[string]any{"enabled": false, "anonymous": "5/1s", "user": "10/1s,burst=20", "login": "3/1m", "userAdmin": "6/1m"},
		},
	}
	envs := map[string]map[string]corev1.EnvVar{}
	mounts := map[string]map[string]string{}
	var redisArgs []string
	for _, o := range renderFor(t, nil, values) {
		switch d := o.Typed.(type) {
		case *appsv1.Deployment:
			c := d.Spec.Template.Spec.Containers[0]
			envs[d.Name] = map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				envs[d.Name][e.Name] = e
			}
			mounts[d.Name] = map[string]string{}
			for _, m := range c.VolumeMounts {
				mounts[d.Name][m.Name] = m.MountPath
			}
		case *appsv1.StatefulSet:
			if d.Name == "movies-redis" {
				c := d.Spec.Template.Spec.Containers[0]
				redisArgs = c.Args
				if len(c.Env) != 1 || c.Env[0].ValueFrom.SecretKeyRef.Name != "redis-creds" {
					t.Errorf("internal Redis does not take its password from redis-creds: %+v", c.Env)
				}
			}
		}
	}
	for _, tc := range []struct{ deploy, prefix string }{{"movies-gateway", "MOVIES_GATEWAY_REDIS_"}, {"movies-catalog", "MOVIES_CATALOG_REDIS_"}, {"movies-auth", "MOVIES_AUTH_REDIS_"}} {
		env := envs[tc.deploy]
		want := map[string]string{"ADDR": "movies-redis:6379", "USERNAME": "movies", "TLS_ENABLED": "true", "TLS_SERVER_NAME": "redis.db",
			"TLS_CA_FILE": "/etc/movies/redis-tls/ca.crt", "TLS_CERT_FILE": "/etc/movies/redis-tls/tls.crt", "TLS_KEY_FILE": "/etc/movies/redis-tls/tls.key"}
		for k, v := range want {
			if got := env[tc.prefix+k].Value; got != v {
				t.Errorf("%s: %s%s=%q, want %q", tc.deploy, tc.prefix, k, got, v)
			}
		}
		if ref := env[tc.prefix+"PASSWORD"].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "redis-creds" || ref.SecretKeyRef.Key != "password" {
			t.Errorf("%s: password not from redis-creds/password: %+v", tc.deploy, ref)
		}
		if mounts[tc.deploy]["redis-tls"] != "/etc/movies/redis-tls" {
			t.Errorf("%s: redis-tls not mounted: %v", tc.deploy, mounts[tc.deploy])
		}
	}
	for _, d := range []string{"movies-search"} {
		if _, ok := mounts[d]["redis-tls"]; ok {
			t.Errorf("%s mounts the Redis TLS files it does not use", d)
		}
	}
	if n := len(redisArgs); n < 2 || redisArgs[n-2] != "--requirepass" || redisArgs[n-1] != "$(REDIS_PASSWORD)" {
		t.Errorf("internal Redis args %q lack --requirepass", redisArgs)
	}
	gw := envs["movies-gateway"]
	for k, v := range map[string]string{"MOVIES_GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8", "MOVIES_GATEWAY_RATE_LIMIT": "false",
		"MOVIES_GATEWAY_RATE_ANONYMOUS": "5/1s", "MOVIES_GATEWAY_RATE_USER": "10/1s,burst=20", "MOVIES_GATEWAY_RATE_LOGIN": "3/1m",
		"MOVIES_GATEWAY_RATE_USER_ADMIN": "6/1m"} {
		if gw[k].Value != v {
			t.Errorf("gateway %s=%q, want %q", k, gw[k].Value, v)
		}
	}
	search := envs["movies-search"]
	admin, query := search["MOVIES_SEARCH_MEILI_KEY"].ValueFrom, search["MOVIES_SEARCH_MEILI_SEARCH_KEY"].ValueFrom
	if admin == nil || query == nil || admin.SecretKeyRef.Key != "master-key" || query.SecretKeyRef.Key != "search-key" ||
		query.SecretKeyRef.Optional == nil || !*query.SecretKeyRef.Optional {
		t.Errorf("search-svc Meilisearch keys: admin %+v, search %+v", admin, query)
	}
	// Defaults: no trusted proxy, limits on.
	for _, o := range renderFor(t, nil, nil) {
		if d, ok := o.Typed.(*appsv1.Deployment); ok && d.Name == "movies-gateway" {
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "MOVIES_GATEWAY_TRUSTED_PROXIES" || e.Name == "MOVIES_GATEWAY_TRUSTED_PROXY_HOPS" ||
					e.Name == "MOVIES_GATEWAY_RATE_LIMIT" && e.Value != "true" {
					t.Errorf("default %s=%q", e.Name, e.Value)
				}
			}
		}
	}
}

// gateway.trustedProxyHops reaches the gateway as MOVIES_GATEWAY_TRUSTED_PROXY_HOPS.
func TestTrustedProxyHops(t *testing.T) {
	found := false
	for _, o := range renderFor(t, nil, map[string]any{"gateway": map[string]any{"trustedProxyHops": 2}}) {
		if d, ok := o.Typed.(*appsv1.Deployment); ok && d.Name == "movies-gateway" {
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "MOVIES_GATEWAY_TRUSTED_PROXY_HOPS" {
					found = e.Value == "2"
				}
			}
		}
	}
	if !found {
		t.Error("gateway lacks MOVIES_GATEWAY_TRUSTED_PROXY_HOPS=2")
	}
}
