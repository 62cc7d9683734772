package k8s

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// breakages are the mistakes TestChecksCatchBreakage makes on purpose, each with the check that must catch
// it and a word of the report it must give.
var breakages = []struct {
	name, check, want string
	breakIt           func(m *manifests)
}{
	{"no readiness probe", "probes", "no readiness probe", func(m *manifests) {
		pod(m, evaluator).Containers[0].ReadinessProbe = nil
	}},
	{"liveness on readyz", "probes", "liveness probe asks", func(m *manifests) {
		pod(m, writer).Containers[0].LivenessProbe.HTTPGet.Path = "/readyz"
	}},
	{"startup probe on a missing port", "probes", "startup probe port", func(m *manifests) {
		pod(m, writer).Containers[0].StartupProbe.HTTPGet.Port = intstr.FromString("web")
	}},
	{"no CPU limit", "resources", "cpu needs a request and a limit", func(m *manifests) {
		delete(pod(m, writer).Containers[0].Resources.Limits, corev1.ResourceCPU)
	}},
	{"request above limit", "resources", "above limit", func(m *manifests) {
		pod(m, evaluator).Containers[0].Resources.Requests[corev1.ResourceMemory] = resource.MustParse("4Gi")
	}},
	{"writable root filesystem", "securityContext", "ReadOnlyRootFilesystem", func(m *manifests) {
		no := false
		pod(m, evaluator).Containers[0].SecurityContext.ReadOnlyRootFilesystem = &no
	}},
	{"capabilities kept", "securityContext", "Capabilities", func(m *manifests) {
		pod(m, writer).Containers[0].SecurityContext.Capabilities = nil
	}},
	{"no pod seccomp profile", "securityContext", "SeccompProfile", func(m *manifests) {
		pod(m, writer).SecurityContext.SeccompProfile = nil
	}},
	{"unknown service account", "serviceAccounts", "not in the manifests", func(m *manifests) {
		pod(m, writer).ServiceAccountName = "default"
	}},
	{"token mounted", "serviceAccounts", "token", func(m *manifests) {
		pod(m, evaluator).AutomountServiceAccountToken = nil
	}},
	{"grace shorter than lame duck and drain", "lifecycle", "terminationGracePeriodSeconds", func(m *manifests) {
		ten := int64(10)
		pod(m, evaluator).TerminationGracePeriodSeconds = &ten
	}},
	{"GOMEMLIMIT above the limit", "goMemLimit", "not below the memory limit", func(m *manifests) {
		envVar(pod(m, writer), "GOMEMLIMIT").Value = "1GiB"
	}},
	{"no scrape annotation", "scrapeAnnotations", "prometheus.io/scrape", func(m *manifests) {
		delete(m.deployment(evaluator).Spec.Template.Annotations, "prometheus.io/scrape")
	}},
	{"scraped on the SDK port", "scrapeAnnotations", "prometheus.io/port", func(m *manifests) {
		m.deployment(evaluator).Spec.Template.Annotations["prometheus.io/port"] = "8081"
	}},
	{"template labels off the selector", "deploymentSelectors", "does not match its template labels", func(m *manifests) {
		m.deployment(writer).Spec.Template.Labels["app.kubernetes.io/name"] = "writer"
	}},
	{"Service selecting nothing", "services", "selects no pods", func(m *manifests) {
		m.Services[0].Spec.Selector = map[string]string{"app.kubernetes.io/name": "nobody"}
	}},
	{"Service targeting a missing port", "services", "targets web", func(m *manifests) {
		m.Services[0].Spec.Ports[0].TargetPort = intstr.FromString("web")
	}},
	{"HPA on a missing Deployment", "autoscaling", "is not in the manifests", func(m *manifests) {
		m.HPAs[0].Spec.ScaleTargetRef.Name = "halyard-evaluators"
	}},
	{"replicas next to an HPA", "autoscaling", "sets replicas", func(m *manifests) {
		three := int32(3)
		m.deployment(evaluator).Spec.Replicas = &three
	}},
	{"PDB selecting nothing", "disruptionBudgets", "selects no Deployment", func(m *manifests) {
		m.PDBs[0].Spec.Selector.MatchLabels = map[string]string{"app.kubernetes.io/name": "nobody"}
	}},
	{"ConfigMap key misspelt", "envRefs", "has no key", func(m *manifests) {
		envVar(pod(m, writer), "WRITER_ADDR").ValueFrom.ConfigMapKeyRef.Key = "WRITER_ADR"
	}},
	{"Secret key misspelt", "envRefs", "Secret halyard-writer has no key", func(m *manifests) {
		envVar(pod(m, writer), "DATABASE_URL").ValueFrom.SecretKeyRef.Key = "DATABASE_URI"
	}},
	{"Secret without an example", "envRefs", "has no example", func(m *manifests) {
		envVar(pod(m, evaluator), "NATS_URL").ValueFrom.SecretKeyRef.Name = "halyard-nats"
	}},
	{"namespace not restricted", "namespace", "restricted", func(m *manifests) {
		delete(m.Namespaces[0].Labels, "pod-security.kubernetes.io/enforce")
	}},
	{"one writer", "writerReplicas", "fewer than 2", func(m *manifests) {
		one := int32(1)
		m.deployment(writer).Spec.Replicas = &one
	}},
	{"policy selecting nothing", "networkPolicySelectors", "podSelector selects no pods", func(m *manifests) {
		policy(m, writer).Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] = "writers"
	}},
	{"evaluator egress to the web", "networkTraffic", "443/TCP to anywhere", func(m *manifests) {
		p := policy(m, evaluator)
		https := intstr.FromInt32(443)
		p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
			Ports: []networkingv1.NetworkPolicyPort{{Port: &https}}})
	}},
	{"evaluator reaching PostgreSQL", "networkTraffic", "5432/TCP", func(m *manifests) {
		p := policy(m, evaluator)
		pg := intstr.FromInt32(5432)
		p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
			Ports: []networkingv1.NetworkPolicyPort{{Port: &pg}}})
	}},
	{"ingress port renamed", "networkTraffic", "missing port sdk", func(m *manifests) {
		sdk := intstr.FromString("sdk")
		policy(m, evaluator).Spec.Ingress[0].Ports[0].Port = &sdk
	}},
	{"no default deny", "defaultDeny", "no default-deny", func(m *manifests) {
		m.NetworkPolicies = m.NetworkPolicies[1:]
	}},
	{"no zone spread", "spread", "topology.kubernetes.io/zone", func(m *manifests) {
		pod(m, writer).TopologySpreadConstraints = nil
	}},
	{"spread selecting other pods", "spread", "does not select its own pods", func(m *manifests) {
		pod(m, evaluator).TopologySpreadConstraints[0].LabelSelector.MatchLabels["app.kubernetes.io/name"] = writer
	}},
	{"anti-affinity on other pods", "spread", "no pod anti-affinity", func(m *manifests) {
		pod(m, writer).Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.
			LabelSelector.MatchLabels["app.kubernetes.io/name"] = evaluator
	}},
	{"latest image", "pinnedImages", "not pinned", func(m *manifests) {
		pod(m, writer).Containers[0].Image = "registry.example:5000/halyard/writer:latest"
	}},
	{"untagged image", "pinnedImages", "not pinned", func(m *manifests) {
		pod(m, evaluator).Containers[0].Image = "registry.example:5000/halyard/evaluator"
	}},
}

func pod(m *manifests, deployment string) *corev1.PodSpec {
	return &m.deployment(deployment).Spec.Template.Spec
}

func policy(m *manifests, name string) *networkingv1.NetworkPolicy {
	for i := range m.NetworkPolicies {
		if m.NetworkPolicies[i].Name == name {
			return &m.NetworkPolicies[i]
		}
	}
	return nil
}

// envVar returns the first container's env var of that name (the test fails on a nil one if it is gone).
func envVar(spec *corev1.PodSpec, name string) *corev1.EnvVar {
	env := spec.Containers[0].Env
	for i := range env {
		if env[i].Name == name {
			return &env[i]
		}
	}
	return nil
}
