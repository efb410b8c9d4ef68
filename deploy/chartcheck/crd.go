package chartcheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// ReadCRDs returns the CustomResourceDefinitions in a multi-document YAML file, skipping the
// other kinds (operator.yaml also holds the operator's Deployment and RBAC).
func ReadCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind != "CustomResourceDefinition" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, crd)
	}
}

// ValidateCustomResource checks obj as the API server would for that CRD version: the OpenAPI
// schema, and (like FieldValidation=Strict) no field the structural schema would prune.
func ValidateCustomResource(crd *apiextensionsv1.CustomResourceDefinition, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	if gvk.Group != crd.Spec.Group || gvk.Kind != crd.Spec.Names.Kind {
		return fmt.Errorf("%s is not a %s", gvk, crd.Name)
	}
	v1schema, err := apihelpers.GetSchemaForVersion(crd, gvk.Version)
	if err != nil || v1schema == nil || v1schema.OpenAPIV3Schema == nil {
		return fmt.Errorf("%s: no schema for version %s", crd.Name, gvk.Version)
	}
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v1schema.OpenAPIV3Schema, internal, nil); err != nil {
		return err
	}
	structural, err := structuralschema.NewStructural(internal)
	if err != nil {
		return err
	}
	validator, _, err := validation.NewSchemaValidator(internal)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range validation.ValidateCustomResource(nil, obj.UnstructuredContent(), validator) {
		errs = append(errs, e)
	}
	pruned := runtime.DeepCopyJSON(obj.UnstructuredContent())
	unknown := structuralpruning.PruneWithOptions(pruned, structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		errs = append(errs, fmt.Errorf("unknown field %q", p))
	}
	return errors.Join(errs...)
}
