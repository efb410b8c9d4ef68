// Package config reads a service's configuration from the environment into
// one struct whose tags hold the variable names and defaults
// (github.com/caarlos0/env), and renders it for the start-up log with
// secrets masked.
package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Prefix is the prefix of every variable the platform reads.
const Prefix = "MOVIES_"

// Load fills cfg (a pointer to a struct with `env` and `envDefault` tags)
// from the environment under Prefix.
func Load(cfg any) error {
	return LoadFrom(cfg, nil)
}

// LoadFrom is Load reading from vars instead of the process environment
// (tests); nil means the process environment.
func LoadFrom(cfg any, vars map[string]string) error {
	opts := env.Options{Prefix: Prefix}
	if vars != nil {
		opts.Environment = vars
	}
	if err := env.ParseWithOptions(cfg, opts); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Describe lists cfg's fields as name=value pairs for a log line; fields
// tagged `secret:"true"` show only whether they are set.
func Describe(cfg any) []any {
	var out []any
	describe(reflect.Indirect(reflect.ValueOf(cfg)), "", &out)
	return out
}

func describe(v reflect.Value, prefix string, out *[]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("env")
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type.String() != "time.Duration" && name == "" {
			describe(fv, prefix+f.Tag.Get("envPrefix"), out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := strings.ToLower(prefix + name)
		var val any = fv.Interface()
		if f.Tag.Get("secret") == "true" {
			val = "<unset>"
			if !fv.IsZero() {
				val = "<redacted>"
			}
		} else if s, ok := fv.Interface().(fmt.Stringer); ok {
			val = s.String()
		}
		*out = append(*out, key, val)
	}
}
