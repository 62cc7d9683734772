package k8s

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Checks that objects refer to each other correctly: selectors that select, targets that exist, env
// references that resolve.

const (
	namespace = "halyard"
	writer    = "halyard-writer"
	evaluator = "halyard-evaluator"
)

// selected returns the Deployments whose pods sel selects.
func (m *manifests) selected(sel labels.Selector) []*appsv1.Deployment {
	var ds []*appsv1.Deployment
	for i := range m.Deployments {
		if sel.Matches(labels.Set(m.Deployments[i].Spec.Template.Labels)) {
			ds = append(ds, &m.Deployments[i])
		}
	}
	return ds
}

// selector converts a label selector; nil and empty select nothing here (the API treats an empty one as
// "everything" in some places and "nothing" in others, so manifests must say what they mean).
func selector(ls *metav1.LabelSelector) (labels.Selector, error) {
	if ls == nil || (len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0) {
		return labels.Nothing(), nil
	}
	return metav1.LabelSelectorAsSelector(ls)
}

// checkDeploymentSelectors: each Deployment's selector matches its own pod template (the API refuses it
// otherwise) and no other Deployment's.
func checkDeploymentSelectors(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		sel, err := selector(d.Spec.Selector)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Deployment %s: selector: %v", d.Name, err))
			continue
		}
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			problems = append(problems, fmt.Sprintf("Deployment %s: selector %s does not match its template labels %v", d.Name, sel, d.Spec.Template.Labels))
		}
		if n := len(m.selected(sel)); n > 1 {
			problems = append(problems, fmt.Sprintf("Deployment %s: selector %s matches the pods of %d Deployments", d.Name, sel, n))
		}
	}
	return problems
}

// checkServices: each Service selects some pods, and each of its ports targets a port those pods have.
func checkServices(m *manifests) []string {
	var problems []string
	for _, s := range m.Services {
		ds := m.selected(labels.SelectorFromSet(s.Spec.Selector))
		if len(s.Spec.Selector) == 0 || len(ds) == 0 {
			problems = append(problems, fmt.Sprintf("Service %s: selector %v selects no pods", s.Name, s.Spec.Selector))
			continue
		}
		for _, p := range s.Spec.Ports {
			target := p.TargetPort
			if target == (intstr.IntOrString{}) {
				target = intstr.FromInt32(p.Port)
			}
			for _, d := range ds {
				if podPort(&d.Spec.Template.Spec, target) == 0 {
					problems = append(problems, fmt.Sprintf("Service %s: port %s targets %s, which Deployment %s's pods lack", s.Name, p.Name, target.String(), d.Name))
				}
			}
		}
	}
	return problems
}

// checkAutoscaling: the evaluator is autoscaled on CPU; every HPA targets an existing Deployment that leaves
// its replica count to the HPA (an apply would otherwise reset it).
func checkAutoscaling(m *manifests) []string {
	var problems []string
	scaled := map[string]bool{}
	for _, h := range m.HPAs {
		ref := h.Spec.ScaleTargetRef
		d := m.deployment(ref.Name)
		if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || d == nil {
			problems = append(problems, fmt.Sprintf("HorizontalPodAutoscaler %s: target %s %s/%s is not in the manifests", h.Name, ref.APIVersion, ref.Kind, ref.Name))
			continue
		}
		scaled[d.Name] = true
		if d.Spec.Replicas != nil {
			problems = append(problems, fmt.Sprintf("HorizontalPodAutoscaler %s: Deployment %s sets replicas, which each apply would reset", h.Name, d.Name))
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			problems = append(problems, fmt.Sprintf("HorizontalPodAutoscaler %s: want 2 <= minReplicas <= maxReplicas (%d)", h.Name, h.Spec.MaxReplicas))
		}
		if !scalesOnCPU(h.Spec.Metrics) {
			problems = append(problems, fmt.Sprintf("HorizontalPodAutoscaler %s: no CPU utilization target", h.Name))
		}
	}
	if !scaled[evaluator] {
		problems = append(problems, "Deployment "+evaluator+": no HorizontalPodAutoscaler")
	}
	return problems
}

func scalesOnCPU(metrics []autoscalingv2.MetricSpec) bool {
	for _, ms := range metrics {
		if ms.Resource != nil && ms.Resource.Name == corev1.ResourceCPU && ms.Resource.Target.AverageUtilization != nil {
			return true
		}
	}
	return false
}

// checkDisruptionBudgets: every Deployment has a PodDisruptionBudget, and every budget selects the pods of
// a Deployment.
func checkDisruptionBudgets(m *manifests) []string {
	var problems []string
	covered := map[string]bool{}
	for _, p := range m.PDBs {
		sel, err := selector(p.Spec.Selector)
		if err != nil {
			problems = append(problems, fmt.Sprintf("PodDisruptionBudget %s: selector: %v", p.Name, err))
			continue
		}
		ds := m.selected(sel)
		if len(ds) == 0 {
			problems = append(problems, fmt.Sprintf("PodDisruptionBudget %s: selector %s selects no Deployment's pods", p.Name, sel))
		}
		for _, d := range ds {
			covered[d.Name] = true
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			problems = append(problems, fmt.Sprintf("PodDisruptionBudget %s: set exactly one of minAvailable and maxUnavailable", p.Name))
		}
	}
	for _, d := range m.Deployments {
		if !covered[d.Name] {
			problems = append(problems, fmt.Sprintf("Deployment %s: no PodDisruptionBudget", d.Name))
		}
	}
	return problems
}

// checkEnvRefs: every env var read from a ConfigMap or Secret names one that exists (the example Secrets
// stand for the operator's) and a key it has; none is optional, so a missing key stops the pod at start
// rather than running it with a default.
func checkEnvRefs(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		for _, c := range containers(&d.Spec.Template.Spec) {
			where := fmt.Sprintf("Deployment %s container %s", d.Name, c.Name)
			for _, e := range c.Env {
				if e.ValueFrom != nil {
					problems = append(problems, envRefProblems(m, where+" env "+e.Name, e.ValueFrom)...)
				}
			}
			if len(c.EnvFrom) > 0 {
				problems = append(problems, where+": envFrom hides which keys the container reads; use env with valueFrom")
			}
		}
	}
	return problems
}

func envRefProblems(m *manifests, where string, from *corev1.EnvVarSource) []string {
	switch {
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm := m.configMap(ref.Name)
		if cm == nil {
			return []string{fmt.Sprintf("%s: ConfigMap %s is not in the manifests", where, ref.Name)}
		}
		if _, ok := cm.Data[ref.Key]; !ok {
			return []string{fmt.Sprintf("%s: ConfigMap %s has no key %s", where, ref.Name, ref.Key)}
		}
		if ref.Optional != nil && *ref.Optional {
			return []string{where + ": optional reference"}
		}
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s := m.secret(ref.Name)
		if s == nil {
			return []string{fmt.Sprintf("%s: Secret %s has no example in %s", where, ref.Name, secretsGlob)}
		}
		if !secretKeys(s)[ref.Key] {
			return []string{fmt.Sprintf("%s: Secret %s has no key %s", where, ref.Name, ref.Key)}
		}
		if ref.Optional != nil && *ref.Optional {
			return []string{where + ": optional reference"}
		}
	}
	return nil
}

// checkNamespace: everything lives in the halyard namespace, which enforces the restricted Pod Security
// Standard.
func checkNamespace(m *manifests) []string {
	var problems []string
	var ns *corev1.Namespace
	for i := range m.Namespaces {
		if m.Namespaces[i].Name == namespace {
			ns = &m.Namespaces[i]
		}
	}
	if ns == nil || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		problems = append(problems, "Namespace "+namespace+": missing, or not enforcing the restricted Pod Security Standard")
	}
	for _, o := range m.namespaced() {
		if o.Namespace != namespace {
			problems = append(problems, fmt.Sprintf("%s %s: in namespace %q, want %q", o.Kind, o.Name, o.Namespace, namespace))
		}
	}
	return problems
}

// checkWriterReplicas: two writers at least, so the admin API survives a node or a rollout.
func checkWriterReplicas(m *manifests) []string {
	d := m.deployment(writer)
	if d == nil || d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		return []string{"Deployment " + writer + ": missing or fewer than 2 replicas"}
	}
	return nil
}
