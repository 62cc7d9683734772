// Package k8s holds the tests that keep Halyard's Kubernetes manifests honest: the kustomize base and the
// production overlay under infra/k8s, the example Secrets, and the values file for the official NATS Helm
// chart. There is no cluster and no schema download in CI, so the tests render the kustomizations in
// process with the kustomize Go API, decode every object strictly into its typed Kubernetes struct (an
// unknown or misspelt field is an error, as the API server would reject it), and check the properties an
// operator relies on: probes, resources, the restricted security context, selectors that select, network
// policies that allow exactly what Halyard needs, and env references that resolve. The NATS users'
// permissions are checked by running the writer's and the evaluator's NATS calls against an in-process
// server configured from the values file.
package k8s
