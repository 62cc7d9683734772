package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// operation documents one admin API route for the OpenAPI description. The description is written apart
// from the route table on purpose: a test checks that the two list the same routes.
type operation struct {
	method, path string // path in OpenAPI form: /environments/{env_id}/flags
	summary      string
	tag          string
	scope        string
	query        []string // query parameters
	request      string   // schema name of the body, "" for none
	status       int      // success status
	response     string   // schema name of the success body, "" for none
	errors       []int
}

var operations = []operation{
	{"post", "/tokens", "Create an admin token (its secret is in this answer only)", "tokens", "admin", nil, "TokenRequest", 201, "TokenCreated", []int{400, 422}},
	{"get", "/tokens", "List admin tokens (never their secrets)", "tokens", "admin", nil, "", 200, "TokenList", nil},
	{"delete", "/tokens/{token_id}", "Revoke an admin token", "tokens", "admin", nil, "", 204, "", []int{404}},

	{"post", "/projects", "Create a project", "projects", "admin", nil, "Name", 201, "Project", []int{400, 422}},
	{"get", "/projects", "List projects", "projects", "read", nil, "", 200, "ProjectList", nil},
	{"get", "/projects/{project_id}", "Get a project", "projects", "read", nil, "", 200, "Project", []int{404}},
	{"post", "/projects/{project_id}/environments", "Create an environment; the answer holds its SDK and server keys (the server key only here)", "environments", "admin", nil, "Name", 201, "Environment", []int{400, 404, 409, 422}},
	{"get", "/projects/{project_id}/environments", "List a project's environments", "environments", "read", nil, "", 200, "EnvironmentList", []int{404}},
	{"get", "/environments/{env_id}", "Get an environment with its live keys and group types", "environments", "read", nil, "", 200, "EnvironmentDetail", []int{404}},
	{"patch", "/environments/{env_id}", "Change an environment's name, label, colour or protection (fields left out stay as they are)", "environments", "admin", nil, "EnvironmentPatch", 200, "Environment", []int{400, 404, 409, 412, 422}},
	{"post", "/environments/{env_id}/keys/rotate", "Issue a new SDK or server key; the old ones stay valid for grace_seconds", "environments", "admin", nil, "RotateKey", 201, "KeyRotated", []int{400, 404, 422}},
	{"delete", "/environments/{env_id}/keys/{key_id}", "Revoke a key now", "environments", "admin", nil, "", 204, "", []int{404}},
	{"put", "/environments/{env_id}/group-types", "Replace the group type mapping (index → name)", "environments", "write", nil, "GroupTypes", 200, "GroupTypesSet", []int{400, 404, 409, 422}},
	{"get", "/environments/{env_id}/events", "Stream the environment's version as server-sent events: a version event on connect and on every change, a heartbeat comment when idle", "environments", "read", nil, "", 200, eventStream, []int{404}},
	{"post", "/environments/{env_id}/evaluate", "Evaluate the environment's flags (or a draft of one) for a person with the evaluators' engine; changes nothing", "environments", "read", nil, "EvaluateRequest", 200, "Evaluation", []int{400, 404, 413, 422}},

	{"get", "/environments/{env_id}/flags", "List flags by key, a page at a time", "flags", "read", []string{"search", "active", "tag", "deleted", "limit", "cursor"}, "", 200, "FlagPage", []int{400, 404}},
	{"post", "/environments/{env_id}/flags", "Create a flag", "flags", "write", nil, "FlagDocument", 201, "Flag", []int{400, 404, 409, 413, 422}},
	{"get", "/environments/{env_id}/flags/{key}", "Get a flag (ETag: its version)", "flags", "read", nil, "", 200, "Flag", []int{404}},
	{"put", "/environments/{env_id}/flags/{key}", "Replace a flag's whole definition", "flags", "write", nil, "FlagDocument", 200, "Flag", []int{400, 404, 412, 413, 422}},
	{"patch", "/environments/{env_id}/flags/{key}", "Change a flag with a JSON merge patch (RFC 7396)", "flags", "write", nil, "FlagPatch", 200, "Flag", []int{400, 404, 412, 413, 422}},
	{"delete", "/environments/{env_id}/flags/{key}", "Soft-delete a flag; 409 flag_in_use lists the flags depending on it", "flags", "write", nil, "", 204, "", []int{404, 409, 412}},
	{"post", "/environments/{env_id}/flags/{key}/restore", "Restore the most recently deleted flag with this key", "flags", "write", nil, "", 200, "Flag", []int{404, 409, 422}},
	{"post", "/environments/{env_id}/flags/{key}/toggle", "Flip a flag's active state, or set it with {\"active\": …}", "flags", "write", nil, "Toggle", 200, "Flag", []int{400, 404, 412}},

	{"get", "/environments/{env_id}/cohorts", "List cohorts", "cohorts", "read", nil, "", 200, "CohortList", []int{404}},
	{"post", "/environments/{env_id}/cohorts", "Create a static or property cohort", "cohorts", "write", nil, "CohortDocument", 201, "CohortAnswer", []int{400, 404, 409, 413, 422}},
	{"get", "/environments/{env_id}/cohorts/{cohort_id}", "Get a cohort (ETag: its version)", "cohorts", "read", nil, "", 200, "CohortAnswer", []int{404}},
	{"patch", "/environments/{env_id}/cohorts/{cohort_id}", "Change a cohort's name, description or filters (merge patch)", "cohorts", "write", nil, "CohortPatch", 200, "CohortAnswer", []int{400, 404, 409, 412, 422}},
	{"delete", "/environments/{env_id}/cohorts/{cohort_id}", "Delete a cohort; 409 cohort_in_use lists the flags and cohorts using it", "cohorts", "write", nil, "", 204, "", []int{404, 409, 412}},
	{"get", "/environments/{env_id}/cohorts/{cohort_id}/members", "List a static cohort's members, a page at a time", "cohorts", "read", []string{"limit", "cursor"}, "", 200, "MemberPage", []int{400, 404}},
	{"put", "/environments/{env_id}/cohorts/{cohort_id}/members", "Replace a static cohort's members (JSON or text/csv, up to 64 MiB)", "cohorts", "write", nil, "Members", 200, "CohortAnswer", []int{400, 404, 409, 412, 413, 422}},
	{"post", "/environments/{env_id}/cohorts/{cohort_id}/members", "Add members to a static cohort (JSON or text/csv, up to 64 MiB)", "cohorts", "write", nil, "Members", 200, "CohortAnswer", []int{400, 404, 409, 412, 413, 422}},

	{"get", "/environments/{env_id}/export", "Export every definition of the environment", "bulk", "read", nil, "", 200, "Export", []int{404}},
	{"post", "/environments/{env_id}/import", "Import a Halyard export or a PostHog local-evaluation payload in one transaction and one version", "bulk", "write", nil, "Import", 200, "ImportResult", []int{400, 404, 409, 413, 422}},
	{"post", "/environments/{env_id}/copy-flags", "Copy chosen flags to another environment in one transaction", "bulk", "write", nil, "CopyFlags", 200, "ImportResult", []int{400, 404, 422}},

	{"get", "/openapi.json", "This description (no token needed)", "meta", "no", nil, "", 200, "", nil},
	{"get", "/audit", "Read the audit log, newest first", "audit", "read", []string{"environment_id", "flag", "resource", "actor", "actor_token_id", "since", "until", "limit", "cursor"}, "", 200, "AuditPage", []int{400}},
}

// eventStream is the response of the events route: server-sent events, each carrying a VersionEvent.
const eventStream = "text/event-stream"

var queryDocs = map[string]string{
	"search": "substring of the key or name, case-insensitive", "active": "true or false", "tag": "only flags with this tag",
	"deleted": "true lists deleted flags (to restore)", "limit": "page size", "cursor": "next_cursor of the previous page",
	"environment_id": "only this environment", "flag": "only this flag key", "resource": "e.g. cohort/12",
	"actor": "token name (bootstrap for the bootstrap token)", "actor_token_id": "token id", "since": "RFC 3339, inclusive",
	"until": "RFC 3339, exclusive",
}

var statusText = map[int]string{400: "Malformed request, unknown field or bad parameter", 401: "Unauthenticated",
	403: "Token lacks the scope", 404: "Not found", 409: "Conflict", 412: "If-Match is stale",
	413: "Body too large", 422: "Validation failed: details lists every {path, message}"}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDocument builds the OpenAPI 3 description from operations and schemas.
func openAPIDocument() map[string]any {
	paths := map[string]any{}
	for _, op := range operations {
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[op.method] = op.document()
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Halyard admin API", "version": "1",
			"description": "Every call takes Authorization: Bearer <admin token>. Scopes: read ⊂ write ⊂ admin. Errors are {code, message, details}."},
		"servers":    []any{map[string]any{"url": "/api/v1"}},
		"security":   []any{map[string]any{"bearer": []any{}}},
		"paths":      paths,
		"components": map[string]any{"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}, "schemas": schemas},
	}
}

func (op operation) document() map[string]any {
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		typ := "integer"
		if m[1] == "key" {
			typ = "string"
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{"name": q, "in": "query", "description": queryDocs[q], "schema": map[string]any{"type": "string"}})
	}
	if op.method == "put" || op.method == "patch" || op.method == "delete" || strings.HasSuffix(op.path, "/toggle") {
		params = append(params, map[string]any{"name": "If-Match", "in": "header", "description": "the ETag read; 412 when stale", "schema": map[string]any{"type": "string"}})
	}
	responses := map[string]any{}
	ok := map[string]any{"description": "OK"}
	switch op.response {
	case "":
	case eventStream:
		ok["content"] = map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string",
			"description": "\"event: version\\ndata: <VersionEvent as JSON>\\n\\n\" on connect and after each change of the environment's version " +
				"(seen within about a second); \": heartbeat\\n\\n\" every 15 s without an event. Read it with fetch and a stream reader " +
				"(EventSource cannot send the Authorization header)."}}}
	default:
		ok["content"] = jsonContent(op.response)
	}
	responses[itoa(op.status)] = ok
	errs := op.errors
	if op.scope != "no" {
		errs = append([]int{401, 403}, errs...)
	}
	for _, st := range errs {
		responses[itoa(st)] = map[string]any{"description": statusText[st], "content": jsonContent("Error")}
	}
	d := map[string]any{"summary": op.summary, "tags": []any{op.tag}, "responses": responses,
		"description": "Needs the " + op.scope + " scope.", "operationId": op.method + pathParam.ReplaceAllString(strings.ReplaceAll(op.path, "/", "_"), "by_$1")}
	if params != nil {
		d["parameters"] = params
	}
	if op.scope == "no" {
		d["security"] = []any{}
	}
	if op.request != "" {
		content := jsonContent(op.request)
		if op.request == "Members" {
			content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		d["requestBody"] = map[string]any{"required": op.request != "Toggle", "content": content}
	}
	return d
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func jsonContent(schema string) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + schema}}}
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

func serveOpenAPI(c echo.Context) error {
	openAPIOnce.Do(func() { openAPIJSON, _ = json.MarshalIndent(openAPIDocument(), "", "  ") })
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIJSON)
}
