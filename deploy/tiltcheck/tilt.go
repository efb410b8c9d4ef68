// Package tiltcheck evaluates the repository's Tiltfile with go.starlark.net and stand-ins for
// Tilt's builtins (Tilt itself cannot be installed here). The stand-ins record every call and
// do the parts that can be checked offline for real: helm() renders the chart with the Helm SDK
// and k8s_yaml() strictly decodes the files it is given.
package tiltcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/moviesplatform/deploy/chartcheck"
)

// Resource is one k8s_resource or local_resource call.
type Resource struct {
	Workload     string // empty for local_resource
	Name         string
	Deps         []string
	Labels       []string
	PortForwards []string
}

// Build is one docker_build(_with_restart) call.
type Build struct {
	Ref, Context, Dockerfile string
	Only                     []string
	LiveUpdate               int
}

// Result is what a Tiltfile asked Tilt to do.
type Result struct {
	Objects   []chartcheck.Object // from helm() and k8s_yaml()
	Builds    []Build
	Resources []Resource
	HelmCalls []string
	Enabled   []string // config.set_enabled_resources, nil when not called
}

// Run evaluates root/Tiltfile as `tilt up <args...>` would.
func Run(root string, args []string) (*Result, error) {
	src, err := os.ReadFile(filepath.Join(root, "Tiltfile"))
	if err != nil {
		return nil, err
	}
	r := &Result{}
	e := &evaluator{root: root, args: args, res: r}
	thread := &starlark.Thread{
		Name:  "tiltfile",
		Print: func(_ *starlark.Thread, msg string) {},
		Load:  e.load,
	}
	opts := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	if _, err := starlark.ExecFileOptions(opts, thread, "Tiltfile", src, e.builtins()); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return nil, fmt.Errorf("%s", ee.Backtrace())
		}
		return nil, err
	}
	return r, nil
}

type evaluator struct {
	root string
	args []string
	res  *Result
	// definedArgs tracks config.define_string_list names to hand back from config.parse().
	definedArgs []string
}

func (e *evaluator) path(p string) (string, error) {
	full := filepath.Join(e.root, p)
	if _, err := os.Stat(full); err != nil {
		return "", fmt.Errorf("Tiltfile names %s: %w", p, err)
	}
	return full, nil
}

func (e *evaluator) load(_ *starlark.Thread, module string) (starlark.StringDict, error) {
	if module == "ext://restart_process" {
		return starlark.StringDict{"docker_build_with_restart": starlark.NewBuiltin("docker_build_with_restart", e.dockerBuild)}, nil
	}
	return nil, fmt.Errorf("load(%q): no stand-in for this extension", module)
}

func (e *evaluator) builtins() starlark.StringDict {
	b := func(name string, fn func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) *starlark.Builtin {
		return starlark.NewBuiltin(name, fn)
	}
	return starlark.StringDict{
		"config": &starlarkstruct.Module{Name: "config", Members: starlark.StringDict{
			"define_string_list":    b("define_string_list", e.defineStringList),
			"parse":                 b("parse", e.parse),
			"set_enabled_resources": b("set_enabled_resources", e.setEnabled),
		}},
		"allow_k8s_contexts": b("allow_k8s_contexts", noop),
		"k8s_yaml":           b("k8s_yaml", e.k8sYAML),
		"helm":               b("helm", e.helm),
		"k8s_resource":       b("k8s_resource", e.k8sResource),
		"local_resource":     b("local_resource", e.localResource),
		"docker_build":       b("docker_build", e.dockerBuild),
		"sync":               b("sync", e.sync),
		"run": b("run", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.String("run"), nil
		}),
		"link": b("link", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			return args[0], nil
		}),
	}
}

func noop(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return starlark.None, nil
}

func (e *evaluator) defineStringList(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var isArgs bool
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "args?", &isArgs); err != nil {
		return nil, err
	}
	if isArgs {
		e.definedArgs = append(e.definedArgs, name)
	}
	return starlark.None, nil
}

func (e *evaluator) parse(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	d := starlark.NewDict(1)
	for _, name := range e.definedArgs {
		if len(e.args) > 0 {
			if err := d.SetKey(starlark.String(name), stringList(e.args)); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func (e *evaluator) setEnabled(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var names *starlark.List
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "resources", &names); err != nil {
		return nil, err
	}
	e.res.Enabled = goStrings(names)
	if e.res.Enabled == nil {
		e.res.Enabled = []string{}
	}
	return starlark.None, nil
}

func (e *evaluator) helm(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var chart, name, namespace string
	var values *starlark.List
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "paths", &chart, "name?", &name, "namespace?", &namespace, "values?", &values); err != nil {
		return nil, err
	}
	chartDir, err := e.path(chart)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, v := range goStrings(values) {
		f, err := e.path(v)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	vals, err := chartcheck.ReadValues(files...)
	if err != nil {
		return nil, err
	}
	manifests, err := chartcheck.RenderRelease(chartDir, name, namespace, vals)
	if err != nil {
		return nil, fmt.Errorf("helm(%s): %w", chart, err)
	}
	objs, err := chartcheck.DecodeStrict(chartcheck.NewScheme(), manifests)
	if err != nil {
		return nil, err
	}
	e.res.Objects = append(e.res.Objects, objs...)
	e.res.HelmCalls = append(e.res.HelmCalls, chart)
	var blob strings.Builder
	for _, m := range manifests {
		blob.WriteString("---\n" + m.YAML + "\n")
	}
	return starlark.String(blob.String()), nil
}

// k8sYAML takes a file path, or the blob helm() returned (already decoded there).
func (e *evaluator) k8sYAML(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var arg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "yaml", &arg); err != nil {
		return nil, err
	}
	if strings.HasPrefix(arg, "---\n") {
		return starlark.None, nil
	}
	full, err := e.path(arg)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, err
	}
	var manifests []chartcheck.Manifest
	for _, doc := range strings.Split(string(data), "\n---\n") {
		manifests = append(manifests, chartcheck.Manifest{Source: arg, YAML: doc})
	}
	objs, err := chartcheck.DecodeStrict(chartcheck.NewScheme(), manifests)
	if err != nil {
		return nil, err
	}
	e.res.Objects = append(e.res.Objects, objs...)
	return starlark.None, nil
}

func (e *evaluator) k8sResource(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var workload, newName string
	var forwards, deps, labels, links, objects *starlark.List
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "workload", &workload, "new_name?", &newName,
		"port_forwards?", &forwards, "resource_deps?", &deps, "labels?", &labels, "links?", &links, "objects?", &objects); err != nil {
		return nil, err
	}
	name := newName
	if name == "" {
		name = workload
	}
	e.res.Resources = append(e.res.Resources, Resource{Workload: workload, Name: name, Deps: goStrings(deps), Labels: goStrings(labels), PortForwards: goStrings(forwards)})
	return starlark.None, nil
}

func (e *evaluator) localResource(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, cmd string
	var deps, ignore, labels, resourceDeps *starlark.List
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "cmd", &cmd, "deps?", &deps,
		"ignore?", &ignore, "labels?", &labels, "resource_deps?", &resourceDeps); err != nil {
		return nil, err
	}
	for _, d := range goStrings(deps) {
		if _, err := e.path(d); err != nil {
			return nil, err
		}
	}
	// The command starts with `cd <module>`: that module must exist.
	if f := strings.Fields(cmd); len(f) > 1 && f[0] == "cd" {
		if _, err := e.path(f[1]); err != nil {
			return nil, err
		}
	}
	e.res.Resources = append(e.res.Resources, Resource{Name: name, Deps: goStrings(resourceDeps), Labels: goStrings(labels)})
	return starlark.None, nil
}

func (e *evaluator) dockerBuild(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ref, context, dockerfile string
	var only, liveUpdate, entrypoint *starlark.List
	var buildArgs *starlark.Dict
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "ref", &ref, "context", &context, "dockerfile?", &dockerfile,
		"build_args?", &buildArgs, "only?", &only, "entrypoint?", &entrypoint, "live_update?", &liveUpdate); err != nil {
		return nil, err
	}
	if _, err := e.path(context); err != nil {
		return nil, err
	}
	if dockerfile != "" {
		if _, err := e.path(dockerfile); err != nil {
			return nil, err
		}
	}
	n := 0
	if liveUpdate != nil {
		n = liveUpdate.Len()
	}
	e.res.Builds = append(e.res.Builds, Build{Ref: ref, Context: context, Dockerfile: dockerfile, Only: goStrings(only), LiveUpdate: n})
	return starlark.None, nil
}

func (e *evaluator) sync(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var local, remote string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "local_path", &local, "remote_path", &remote); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(remote, "/") {
		return nil, fmt.Errorf("sync remote path %q must be absolute", remote)
	}
	return starlark.String("sync:" + local), nil
}

func stringList(ss []string) *starlark.List {
	vals := make([]starlark.Value, len(ss))
	for i, s := range ss {
		vals[i] = starlark.String(s)
	}
	return starlark.NewList(vals)
}

func goStrings(l *starlark.List) []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, l.Len())
	for i := 0; i < l.Len(); i++ {
		if s, ok := starlark.AsString(l.Index(i)); ok {
			out = append(out, s)
		} else {
			out = append(out, l.Index(i).String())
		}
	}
	return out
}
