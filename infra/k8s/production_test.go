package k8s

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Checks only the production overlay must pass: pods spread over nodes and zones, and pinned images.

// checkSpread: each Deployment keeps its pods off one node (pod anti-affinity) and spreads them over zones
// (topology spread), both keyed on its own pods; a selector that matches nothing spreads nothing.
func checkSpread(m *manifests) []string {
	var problems []string
	for i := range m.Deployments {
		d := &m.Deployments[i]
		spec := d.Spec.Template.Spec
		var terms []corev1.PodAffinityTerm
		if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
			terms = append(terms, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
			for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
				terms = append(terms, w.PodAffinityTerm)
			}
		}
		if !slices.ContainsFunc(terms, func(t corev1.PodAffinityTerm) bool {
			return t.TopologyKey == "kubernetes.io/hostname" && selectsOwn(d, t.LabelSelector)
		}) {
			problems = append(problems, fmt.Sprintf("Deployment %s: no pod anti-affinity on kubernetes.io/hostname selecting its own pods", d.Name))
		}
		zone := false
		for _, c := range spec.TopologySpreadConstraints {
			if !selectsOwn(d, c.LabelSelector) {
				problems = append(problems, fmt.Sprintf("Deployment %s: topology spread on %s does not select its own pods", d.Name, c.TopologyKey))
			}
			zone = zone || c.TopologyKey == "topology.kubernetes.io/zone"
		}
		if !zone {
			problems = append(problems, fmt.Sprintf("Deployment %s: no topology spread over topology.kubernetes.io/zone", d.Name))
		}
	}
	return problems
}

func selectsOwn(d *appsv1.Deployment, ls *metav1.LabelSelector) bool {
	sel, err := selector(ls)
	return err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels))
}

// checkPinnedImages: production runs a release, not whatever "latest" was last pushed.
func checkPinnedImages(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		for _, c := range containers(&d.Spec.Template.Spec) {
			if strings.Contains(c.Image, "@sha256:") {
				continue
			}
			_, tag, hasTag := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
			if !hasTag || tag == "latest" {
				problems = append(problems, fmt.Sprintf("Deployment %s container %s: image %q is not pinned to a release", d.Name, c.Name, c.Image))
			}
		}
	}
	return problems
}
