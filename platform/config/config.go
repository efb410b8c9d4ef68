// Package config reads a service's configuration from the environment into
// one struct whose tags hold the variable names and defaults
// (github.com/caarlos0/env), and renders it for the start-up log with
// secrets masked.
package config

import (
	"errors"
	"fmt"
	"os"
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
		return fmt.Errorf("config: %w", nameVariables(err, cfg, vars))
	}
	return nil
}

// nameVariables rewrites env's parse errors, which name only the Go field,
// to name the variable and the value an operator has to fix.
func nameVariables(err error, cfg any, vars map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	lookup := os.LookupEnv
	if vars != nil {
		lookup = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	out := make([]error, len(agg.Errors))
	for i, e := range agg.Errors {
		out[i] = e
		var pe env.ParseError
		if !errors.As(e, &pe) {
			continue
		}
		// Sections may share a field name (Addr); the variable whose value
		// the error quotes is the one that failed.
		found := false
		walk(reflect.Indirect(reflect.ValueOf(cfg)), "", func(f reflect.StructField, key string, _ reflect.Value) {
			v, ok := lookup(Prefix + key)
			if !ok || f.Name != pe.Name || found {
				return
			}
			out[i] = fmt.Errorf("%s%s=%q: %w", Prefix, key, v, pe.Err)
			found = strings.Contains(pe.Err.Error(), v)
		})
	}
	return errors.Join(out...)
}

// Describe lists cfg's fields as name=value pairs for a log line; fields
// tagged `secret:"true"` show only whether they are set.
func Describe(cfg any) []any {
	var out []any
	describe(reflect.Indirect(reflect.ValueOf(cfg)), "", &out)
	return out
}

func describe(v reflect.Value, prefix string, out *[]any) {
	walk(v, prefix, func(f reflect.StructField, key string, fv reflect.Value) {
		var val any = fv.Interface()
		if f.Tag.Get("secret") == "true" {
			val = "<unset>"
			if !fv.IsZero() {
				val = "<redacted>"
			}
		} else if s, ok := fv.Interface().(fmt.Stringer); ok {
			val = s.String()
		}
		*out = append(*out, strings.ToLower(key), val)
	})
}

// walk calls fn for each exported setting of the struct v with its variable
// name under prefix (without Prefix), descending into nested sections.
func walk(v reflect.Value, prefix string, fn func(f reflect.StructField, key string, fv reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("env")
		if name == "-" {
			continue // not a setting: wired in by code (a tracer, say)
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type.String() != "time.Duration" && name == "" {
			walk(fv, prefix+f.Tag.Get("envPrefix"), fn)
			continue
		}
		if name == "" {
			name = f.Name
		}
		fn(f, prefix+name, fv)
	}
}
