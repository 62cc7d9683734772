package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// The kustomizations under test, and the example Secrets they read (not part of any kustomization: real
// Secrets come from the operator's secret store).
const (
	baseDir       = "base"
	productionDir = "overlays/production"
	secretsGlob   = "secrets/*.example.yaml"
)

// manifests is one rendered kustomization, every object decoded into its typed struct, plus the example
// Secrets.
type manifests struct {
	Namespaces      []corev1.Namespace
	ServiceAccounts []corev1.ServiceAccount
	ConfigMaps      []corev1.ConfigMap
	Secrets         []corev1.Secret
	Deployments     []appsv1.Deployment
	Services        []corev1.Service
	HPAs            []autoscalingv2.HorizontalPodAutoscaler
	PDBs            []policyv1.PodDisruptionBudget
	NetworkPolicies []networkingv1.NetworkPolicy
}

// render builds the kustomization in dir as `kubectl apply -k` would, and decodes it with the example
// Secrets.
func render(tb testing.TB, dir string) *manifests {
	tb.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		tb.Fatalf("kustomize build %s: %v", dir, err)
	}
	m := &manifests{}
	for _, r := range resources.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			tb.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		if err := m.add(doc); err != nil {
			tb.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
	}
	secrets, err := filepath.Glob(secretsGlob)
	if err != nil || len(secrets) == 0 {
		tb.Fatalf("no example Secrets match %s (%v)", secretsGlob, err)
	}
	for _, path := range secrets {
		doc, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		if err := m.add(doc); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
	return m
}

// add decodes one object strictly by its apiVersion and kind. A kind this test does not know is an error,
// so a new kind of object gets checks before it ships.
func (m *manifests) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var err error
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 Namespace":
		m.Namespaces, err = appendStrict(m.Namespaces, doc)
	case "v1 ServiceAccount":
		m.ServiceAccounts, err = appendStrict(m.ServiceAccounts, doc)
	case "v1 ConfigMap":
		m.ConfigMaps, err = appendStrict(m.ConfigMaps, doc)
	case "v1 Secret":
		m.Secrets, err = appendStrict(m.Secrets, doc)
	case "apps/v1 Deployment":
		m.Deployments, err = appendStrict(m.Deployments, doc)
	case "v1 Service":
		m.Services, err = appendStrict(m.Services, doc)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		m.HPAs, err = appendStrict(m.HPAs, doc)
	case "policy/v1 PodDisruptionBudget":
		m.PDBs, err = appendStrict(m.PDBs, doc)
	case "networking.k8s.io/v1 NetworkPolicy":
		m.NetworkPolicies, err = appendStrict(m.NetworkPolicies, doc)
	default:
		return fmt.Errorf("%s %s: no checks for this kind of object yet", tm.APIVersion, tm.Kind)
	}
	return err
}

// appendStrict decodes doc into a new T, refusing unknown and duplicate fields.
func appendStrict[T any](list []T, doc []byte) ([]T, error) {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return list, fmt.Errorf("strict decode: %w", err)
	}
	return append(list, v), nil
}

// deployment returns the named Deployment, or nil.
func (m *manifests) deployment(name string) *appsv1.Deployment {
	for i := range m.Deployments {
		if m.Deployments[i].Name == name {
			return &m.Deployments[i]
		}
	}
	return nil
}

// hpa returns the HorizontalPodAutoscaler of that name, or nil.
func (m *manifests) hpa(name string) *autoscalingv2.HorizontalPodAutoscaler {
	for i := range m.HPAs {
		if m.HPAs[i].Name == name {
			return &m.HPAs[i]
		}
	}
	return nil
}

// configMap returns the named ConfigMap, or nil.
func (m *manifests) configMap(name string) *corev1.ConfigMap {
	for i := range m.ConfigMaps {
		if m.ConfigMaps[i].Name == name {
			return &m.ConfigMaps[i]
		}
	}
	return nil
}

// secret returns the named Secret, or nil.
func (m *manifests) secret(name string) *corev1.Secret {
	for i := range m.Secrets {
		if m.Secrets[i].Name == name {
			return &m.Secrets[i]
		}
	}
	return nil
}

// secretKeys lists a Secret's keys, whether written as data or stringData.
func secretKeys(s *corev1.Secret) map[string]bool {
	keys := map[string]bool{}
	for k := range s.Data {
		keys[k] = true
	}
	for k := range s.StringData {
		keys[k] = true
	}
	return keys
}

// containers lists a pod's init and regular containers.
func containers(spec *corev1.PodSpec) []*corev1.Container {
	var all []*corev1.Container
	for i := range spec.InitContainers {
		all = append(all, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		all = append(all, &spec.Containers[i])
	}
	return all
}

// envValue resolves a container's env var to its literal or ConfigMap value.
func (m *manifests) envValue(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name != name {
			continue
		}
		if e.ValueFrom == nil {
			return e.Value, true
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			if cm := m.configMap(ref.Name); cm != nil {
				v, ok := cm.Data[ref.Key]
				return v, ok
			}
		}
	}
	return "", false
}

// objectRef names a namespaced object in reports.
type objectRef struct{ Kind, Name, Namespace string }

// namespaced lists every namespaced object.
func (m *manifests) namespaced() []objectRef {
	var refs []objectRef
	add := func(kind string, om metav1.ObjectMeta) {
		refs = append(refs, objectRef{kind, om.Name, om.Namespace})
	}
	for _, o := range m.ServiceAccounts {
		add("ServiceAccount", o.ObjectMeta)
	}
	for _, o := range m.ConfigMaps {
		add("ConfigMap", o.ObjectMeta)
	}
	for _, o := range m.Secrets {
		add("Secret", o.ObjectMeta)
	}
	for _, o := range m.Deployments {
		add("Deployment", o.ObjectMeta)
	}
	for _, o := range m.Services {
		add("Service", o.ObjectMeta)
	}
	for _, o := range m.HPAs {
		add("HorizontalPodAutoscaler", o.ObjectMeta)
	}
	for _, o := range m.PDBs {
		add("PodDisruptionBudget", o.ObjectMeta)
	}
	for _, o := range m.NetworkPolicies {
		add("NetworkPolicy", o.ObjectMeta)
	}
	return refs
}
