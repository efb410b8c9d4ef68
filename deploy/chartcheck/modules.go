package chartcheck

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Modules whose source trees ship the CRDs the chart's custom resources are checked against.
// They come from the Go module proxy (and its cache), like every other dependency.
const (
	VitessModule     = "vitess.io/vitess@v0.24.4"
	GatewayAPIModule = "sigs.k8s.io/gateway-api@v1.6.3"
)

// ModuleDir downloads a module (a no-op when cached) and returns its directory.
func ModuleDir(module string) (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("go mod download %s: %v: %s%s", module, err, out, ee.Stderr)
		}
		return "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", err
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	return info.Dir, nil
}

// VitessOperatorYAML is the operator install manifest (CRDs included) from the vitess module.
func VitessOperatorYAML() (string, error) {
	dir, err := ModuleDir(VitessModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "examples", "operator", "operator.yaml"), nil
}

// HTTPRouteCRDYAML is the Gateway API standard-channel HTTPRoute CRD.
func HTTPRouteCRDYAML() (string, error) {
	dir, err := ModuleDir(GatewayAPIModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml"), nil
}
