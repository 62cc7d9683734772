package k8s

import (
	"fmt"
	"slices"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Checks of the NetworkPolicies: whom they select, and the traffic they leave open for each workload.

// traffic is what a workload may receive and send, one line per port and peer.
type traffic struct{ Ingress, Egress []string }

// wantTraffic is the network design, as data: evaluators take SDK traffic from anywhere and scrapes from
// the monitoring namespace, and reach only NATS and DNS; the writer takes admin traffic and scrapes, and
// reaches only PostgreSQL (wherever it runs: port only), NATS and DNS.
var wantTraffic = map[string]traffic{
	evaluator: {
		Ingress: []string{"8081/TCP from anywhere", "9090/TCP from all pods in namespace kubernetes.io/metadata.name=monitoring"},
		Egress:  []string{"4222/TCP to " + natsPeer, "53/TCP to " + dnsPeer, "53/UDP to " + dnsPeer},
	},
	writer: {
		Ingress: []string{"8080/TCP from anywhere", "9090/TCP from all pods in namespace kubernetes.io/metadata.name=monitoring"},
		Egress:  []string{"4222/TCP to " + natsPeer, "53/TCP to " + dnsPeer, "53/UDP to " + dnsPeer, "5432/TCP to anywhere"},
	},
}

const (
	natsPeer = "pods app.kubernetes.io/name=nats in namespace kubernetes.io/metadata.name=nats"
	dnsPeer  = "pods k8s-app=kube-dns in namespace kubernetes.io/metadata.name=kube-system"
)

// checkNetworkTraffic: the policies that select each workload, taken together, allow exactly wantTraffic.
func checkNetworkTraffic(m *manifests) []string {
	got := map[string]traffic{}
	for i := range m.Deployments {
		d := &m.Deployments[i]
		got[d.Name] = m.trafficOf(d)
	}
	if diff := cmp.Diff(wantTraffic, got); diff != "" {
		return []string{fmt.Sprintf("allowed traffic mismatch (-want +got):\n%s", diff)}
	}
	return nil
}

// trafficOf lists what the policies selecting d's pods allow; a direction no policy restricts is open.
func (m *manifests) trafficOf(d *appsv1.Deployment) traffic {
	var t traffic
	ingressIsolated, egressIsolated := false, false
	for _, p := range m.NetworkPolicies {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			continue
		}
		if slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			ingressIsolated = true
			for _, r := range p.Spec.Ingress {
				t.Ingress = append(t.Ingress, ruleLines(d, r.Ports, r.From, "from")...)
			}
		}
		if slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			egressIsolated = true
			for _, r := range p.Spec.Egress {
				t.Egress = append(t.Egress, ruleLines(nil, r.Ports, r.To, "to")...)
			}
		}
	}
	if !ingressIsolated {
		t.Ingress = []string{"any port from anywhere"}
	}
	if !egressIsolated {
		t.Egress = []string{"any port to anywhere"}
	}
	slices.Sort(t.Ingress)
	t.Ingress = slices.Compact(t.Ingress)
	slices.Sort(t.Egress)
	t.Egress = slices.Compact(t.Egress)
	return t
}

// ruleLines spells out one rule. Named ports of an ingress rule are resolved on own, the receiving pods.
func ruleLines(own *appsv1.Deployment, ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer, dir string) []string {
	portNames := []string{"any port"}
	if len(ports) > 0 {
		portNames = nil
	}
	for _, p := range ports {
		portNames = append(portNames, portString(own, p))
	}
	peerNames := []string{"anywhere"}
	if len(peers) > 0 {
		peerNames = nil
	}
	for _, p := range peers {
		peerNames = append(peerNames, peerString(p))
	}
	var lines []string
	for _, port := range portNames {
		for _, peer := range peerNames {
			lines = append(lines, port+" "+dir+" "+peer)
		}
	}
	return lines
}

func portString(own *appsv1.Deployment, p networkingv1.NetworkPolicyPort) string {
	proto := corev1.ProtocolTCP
	if p.Protocol != nil {
		proto = *p.Protocol
	}
	port := "any port"
	if p.Port != nil {
		port = p.Port.String()
		if own != nil {
			if n := podPort(&own.Spec.Template.Spec, *p.Port); n != 0 {
				port = fmt.Sprint(n)
			} else {
				port = "missing port " + port
			}
		}
	}
	if p.EndPort != nil {
		port += fmt.Sprintf("-%d", *p.EndPort)
	}
	return port + "/" + string(proto)
}

func peerString(p networkingv1.NetworkPolicyPeer) string {
	if p.IPBlock != nil {
		return fmt.Sprintf("ipBlock %s except %v", p.IPBlock.CIDR, p.IPBlock.Except)
	}
	pods, ns := "all pods", "this namespace"
	if p.PodSelector != nil {
		pods = "pods " + metav1.FormatLabelSelector(p.PodSelector)
	}
	if p.NamespaceSelector != nil {
		ns = "namespace " + metav1.FormatLabelSelector(p.NamespaceSelector)
	}
	return pods + " in " + ns
}

// checkNetworkPolicySelectors: every policy selects some pod, and every peer in this namespace is some pod
// (peers in other namespaces, NATS and DNS, are pinned by wantTraffic instead).
func checkNetworkPolicySelectors(m *manifests) []string {
	var problems []string
	selectsPods := func(ls *metav1.LabelSelector) bool {
		sel, err := metav1.LabelSelectorAsSelector(ls)
		return err == nil && len(m.selected(sel)) > 0
	}
	for _, p := range m.NetworkPolicies {
		if !selectsPods(&p.Spec.PodSelector) {
			problems = append(problems, fmt.Sprintf("NetworkPolicy %s: podSelector selects no pods", p.Name))
		}
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range p.Spec.Ingress {
			peers = append(peers, r.From...)
		}
		for _, r := range p.Spec.Egress {
			peers = append(peers, r.To...)
		}
		for _, peer := range peers {
			if peer.PodSelector != nil && peer.NamespaceSelector == nil && !selectsPods(peer.PodSelector) {
				problems = append(problems, fmt.Sprintf("NetworkPolicy %s: peer %s selects no pods", p.Name, peerString(peer)))
			}
		}
	}
	return problems
}

// checkDefaultDeny: the namespace denies all traffic that no policy allows, so a pod added later without
// a policy of its own is isolated rather than open.
func checkDefaultDeny(m *manifests) []string {
	for _, p := range m.NetworkPolicies {
		s := p.Spec
		if len(s.PodSelector.MatchLabels) == 0 && len(s.PodSelector.MatchExpressions) == 0 &&
			len(s.Ingress) == 0 && len(s.Egress) == 0 &&
			slices.Contains(s.PolicyTypes, networkingv1.PolicyTypeIngress) &&
			slices.Contains(s.PolicyTypes, networkingv1.PolicyTypeEgress) {
			return nil
		}
	}
	return []string{"no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)"}
}
