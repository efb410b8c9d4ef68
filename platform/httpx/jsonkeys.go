package httpx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// checkKeys refuses a body whose objects repeat a key, or name a field of
// dst in another case ("Name" for "name"). encoding/json takes the last of
// repeated keys and matches names case-insensitively, so a proxy or WAF
// that reads the first, or the exact name, would see another document than
// the service stores. Unknown keys stay ignored, as DRF does. The error
// names the key. Malformed JSON is left to the decoder's message.
func checkKeys(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	key, msg := walkValue(dec, reflect.TypeOf(dst))
	if msg == "" {
		return nil
	}
	return apierr.Validation(map[string][]string{key: {msg}})
}

// walkValue reads one value from dec, checking objects against t (nil when
// unknown); it returns the offending key and a message, or "" for none.
func walkValue(dec *json.Decoder, t reflect.Type) (string, string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", ""
	}
	switch tok {
	case json.Delim('{'):
		fields := jsonFields(t)
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", ""
			}
			k, _ := kt.(string)
			if seen[k] {
				return k, "Duplicate key \"" + k + "\"."
			}
			for s := range seen {
				if strings.EqualFold(s, k) {
					return k, "Key \"" + k + "\" repeats \"" + s + "\" in another case."
				}
			}
			seen[k] = true
			var ft reflect.Type
			if t != nil && t.Kind() == reflect.Map {
				ft = t.Elem()
			}
			for name, f := range fields {
				if name == k {
					ft = f
					break
				}
				if strings.EqualFold(name, k) {
					return k, "Unknown key \"" + k + "\"; the field is \"" + name + "\" (keys are case-sensitive)."
				}
			}
			if key, msg := walkValue(dec, ft); msg != "" {
				return key, msg
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for dec.More() {
			if key, msg := walkValue(dec, et); msg != "" {
				return key, msg
			}
		}
		_, _ = dec.Token()
	}
	return "", ""
}

// jsonFields maps the JSON names of struct t's fields (embedded structs
// flattened) to their types; nil for anything but a struct.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
