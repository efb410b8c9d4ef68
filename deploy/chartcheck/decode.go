package chartcheck

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// NewScheme knows the built-in API types plus the typed CRDs the chart uses (ServiceMonitor,
// HTTPRoute). VitessCluster has no Go types here; it is checked against its CRD schema instead.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(monitoringv1.AddToScheme(s))
	utilruntime.Must(gatewayv1.Install(s))
	return s
}

// Object is a decoded manifest: Typed is set when the scheme knows the kind.
type Object struct {
	GVK    schema.GroupVersionKind
	Typed  runtime.Object
	Raw    *unstructured.Unstructured
	Source string
}

// DecodeStrict decodes every manifest; unknown, duplicate or mistyped fields are errors.
func DecodeStrict(s *runtime.Scheme, manifests []Manifest) ([]Object, error) {
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s,
		json.SerializerOptions{Yaml: true, Strict: true})
	var out []Object
	for _, m := range manifests {
		u := &unstructured.Unstructured{}
		jsonBytes, err := yaml.YAMLToJSONStrict([]byte(m.YAML))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Source, err)
		}
		if string(jsonBytes) == "null" {
			continue // a template that rendered only comments
		}
		if err := u.UnmarshalJSON(jsonBytes); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Source, err)
		}
		o := Object{GVK: u.GroupVersionKind(), Raw: u, Source: m.Source}
		if s.Recognizes(o.GVK) {
			typed, _, err := strict.Decode([]byte(m.YAML), nil, nil)
			if err != nil {
				return nil, fmt.Errorf("%s %s/%s: %w", m.Source, o.GVK.Kind, u.GetName(), err)
			}
			o.Typed = typed
		}
		out = append(out, o)
	}
	return out, nil
}
