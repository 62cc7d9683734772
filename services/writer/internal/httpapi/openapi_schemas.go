package httpapi

// Schemas of the OpenAPI description. Flag filters follow PostHog's shape and are described loosely.

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// input is a request body: unknown fields are refused with 400.
func input(props map[string]any, required ...string) map[string]any {
	o := obj(props, required...)
	o["additionalProperties"] = false
	return o
}

func merged(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

var flagFields = map[string]any{"key": map[string]any{"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$", "description": "required on POST; on PUT it may be left out"},
	"name": str, "description": str, "tags": arr(str), "filters": ref("Filters"), "active": map[string]any{"type": "boolean", "default": true},
	"ensure_experience_continuity": boolean, "bucketing_identifier": map[string]any{"type": "string", "enum": []any{"distinct_id", "device_id"}},
	"evaluation_runtime": map[string]any{"type": "string", "enum": []any{"all", "client", "server"},
		"description": "where the flag is served: every request (all, or absent), or only requests from client or from server runtimes (inferred from User-Agent and browser headers as PostHog does, or named in the request's evaluation_runtime)"},
	"evaluation_contexts": map[string]any{"type": "array", "items": str, "maxItems": 50,
		"description": "evaluation tags: when set, a request naming evaluation_contexts (or evaluation_environments) is served the flag only if it names one of them"}}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func arr(items any) map[string]any   { return map[string]any{"type": "array", "items": items} }

var (
	str      = map[string]any{"type": "string"}
	integer  = map[string]any{"type": "integer"}
	boolean  = map[string]any{"type": "boolean"}
	dateTime = map[string]any{"type": "string", "format": "date-time"}
	nullTime = map[string]any{"type": "string", "format": "date-time", "nullable": true}
	anyJSON  = map[string]any{}
	cursorT  = map[string]any{"type": "string", "nullable": true, "description": "pass as ?cursor= for the next page; null on the last"}
)

// The appearance of an environment in the admin UI.
var (
	label = map[string]any{"type": "string", "maxLength": 40, "description": "a short badge, e.g. Production; \"\" for none"}
	color = map[string]any{"type": "string", "pattern": "^(#[0-9a-fA-F]{6})?$",
		"description": "#rrggbb (stored in lower case), \"\" for none"}
	protected = map[string]any{"type": "boolean", "description": "the UI asks for confirmation, naming the flag and the environment, before every change here"}
)

// properties are a person's or a group's properties: any JSON values.
var properties = map[string]any{"type": "object", "additionalProperties": true}

var schemas = map[string]any{
	"Error": map[string]any{"type": "object", "properties": map[string]any{"code": str, "message": str,
		"details": map[string]any{"description": "for validation_failed: [{path, message, flag?}]; for cohort_in_use: {flags, cohorts}"}}},
	"Name":         input(map[string]any{"name": str}, "name"),
	"TokenRequest": input(map[string]any{"name": str, "scopes": arr(map[string]any{"type": "string", "enum": []any{"read", "write", "admin"}}), "expires_at": nullTime}, "name", "scopes"),
	"Token": map[string]any{"type": "object", "properties": map[string]any{"id": integer, "name": str, "scopes": arr(str),
		"created_by": str, "created_at": dateTime, "expires_at": nullTime, "revoked_at": nullTime}},
	"TokenCreated": map[string]any{"allOf": []any{ref("Token"), map[string]any{"type": "object", "properties": map[string]any{"token": map[string]any{"type": "string", "description": "hly_<id>_<secret>, shown once"}}}}},
	"TokenList":    obj(map[string]any{"tokens": arr(ref("Token"))}),
	"Project":      obj(map[string]any{"id": integer, "name": str, "created_at": dateTime}),
	"ProjectList":  obj(map[string]any{"projects": arr(ref("Project"))}),
	"Environment": obj(map[string]any{"id": integer, "project_id": integer, "name": str, "version": integer, "created_at": dateTime,
		"label": label, "color": color, "protected": protected,
		"sdk_key": str, "server_key": map[string]any{"type": "string", "description": "only when just created"}},
		"id", "project_id", "name", "version", "created_at", "label", "color", "protected"),
	"EnvironmentPatch": input(map[string]any{"name": map[string]any{"type": "string", "minLength": 1, "maxLength": 200},
		"label": label, "color": color, "protected": protected}),
	"EnvironmentList": obj(map[string]any{"environments": arr(ref("Environment"))}),
	"Key": obj(map[string]any{"id": integer, "kind": map[string]any{"type": "string", "enum": []any{"sdk", "server"}},
		"value": map[string]any{"type": "string", "description": "SDK keys always; server keys only when just created"}, "created_at": dateTime, "expires_at": nullTime}),
	"EnvironmentDetail": map[string]any{"allOf": []any{ref("Environment"), map[string]any{"type": "object", "properties": map[string]any{
		"keys": arr(ref("Key")), "group_types": ref("GroupTypes")}}}},
	"RotateKey":     input(map[string]any{"kind": map[string]any{"type": "string", "enum": []any{"sdk", "server"}}, "grace_seconds": map[string]any{"type": "integer", "minimum": 0, "maximum": 7776000}}, "kind"),
	"KeyRotated":    obj(map[string]any{"key": ref("Key"), "environment_version": integer}),
	"GroupTypes":    map[string]any{"type": "object", "description": "\"0\" to \"4\" → group type name", "additionalProperties": str},
	"GroupTypesSet": obj(map[string]any{"group_types": ref("GroupTypes"), "environment_version": integer}),
	"Filters": map[string]any{"type": "object", "description": "PostHog's filters: groups, multivariate, payloads, aggregation_group_type_index, holdout, super_groups, feature_enrollment",
		"properties": map[string]any{"groups": arr(map[string]any{"type": "object"})}},
	"FlagDocument": input(flagFields),
	"EvaluateRequest": input(map[string]any{"distinct_id": map[string]any{"type": "string", "minLength": 1},
		"person_properties": properties,
		"groups":            map[string]any{"type": "object", "description": "group type name → group key", "additionalProperties": str},
		"group_properties":  map[string]any{"type": "object", "description": "group type name → its properties", "additionalProperties": properties},
		"flag_keys":         map[string]any{"type": "array", "items": str, "description": "the flags to answer; every live flag when left out"},
		"draft": map[string]any{"allOf": []any{ref("FlagDocument")},
			"description": "an unsaved flag document, key included, evaluated in place of the stored flag of its key (or as a new flag); problems are reported under draft."}},
		"distinct_id"),
	"Evaluation": obj(map[string]any{"environment_version": integer,
		"flags": map[string]any{"type": "object", "description": "flag key → its answer", "additionalProperties": ref("FlagEvaluation")}},
		"environment_version", "flags"),
	"VersionEvent": obj(map[string]any{"environment_id": integer, "version": integer}, "environment_id", "version"),
	"FlagEvaluation": obj(map[string]any{"enabled": boolean, "variant": map[string]any{"type": "string", "nullable": true},
		"payload": map[string]any{"nullable": true, "description": "the payload as stored, for true or for the variant; null when none"},
		"reason": obj(map[string]any{"code": map[string]any{"type": "string", "description": "condition_match, no_condition_match, out_of_rollout_bound, no_group_type, holdout_condition_value, super_condition_value, flag_disabled, missing_dependency, dependency_not_found, dependency_cycle, invalid_definition"},
			"condition_index": map[string]any{"type": "integer", "nullable": true, "description": "the condition (filters.groups index) that decided; null when none"},
			"description":     str}, "code", "condition_index", "description")},
		"enabled", "variant", "payload", "reason"),
	"FlagPatch": map[string]any{"type": "object", "description": "RFC 7396 merge patch of a FlagDocument (null removes a member)"},
	"Flag": obj(merged(flagFields, map[string]any{"id": integer, "environment_id": integer, "version": integer, "deleted": boolean,
		"created_by": str, "updated_by": str, "created_at": dateTime, "updated_at": dateTime, "deleted_at": nullTime, "environment_version": integer})),
	"FlagPage":       obj(map[string]any{"flags": arr(ref("Flag")), "next_cursor": cursorT, "environment_version": integer}),
	"Toggle":         input(map[string]any{"active": boolean}),
	"CohortDocument": input(map[string]any{"name": str, "description": str, "is_static": boolean, "filters": map[string]any{"type": "object", "description": "{\"properties\": {\"type\": \"OR\", \"values\": [...]}} (property cohorts)"}, "members": arr(str)}, "name"),
	"CohortPatch":    map[string]any{"type": "object", "description": "RFC 7396 merge patch of name, description, filters"},
	"Cohort": obj(map[string]any{"id": integer, "environment_id": integer, "name": str, "description": str, "is_static": boolean,
		"filters": anyJSON, "member_count": integer, "version": integer, "created_by": str, "updated_by": str, "created_at": dateTime, "updated_at": dateTime}),
	"CohortAnswer": obj(map[string]any{"cohort": ref("Cohort"), "environment_version": integer}),
	"CohortList":   obj(map[string]any{"cohorts": arr(ref("Cohort"))}),
	"Members": map[string]any{"oneOf": []any{arr(str), obj(map[string]any{"members": arr(str)})},
		"description": "or text/csv: the first column, one member per line, an optional header distinct_id, id or member"},
	"MemberPage": obj(map[string]any{"members": arr(str), "next_cursor": cursorT}),
	"Export": obj(map[string]any{"format": map[string]any{"type": "string", "enum": []any{"halyard-export/v1"}}, "environment_id": integer,
		"environment_version": integer, "group_types": ref("GroupTypes"),
		"cohorts": arr(map[string]any{"type": "object", "description": "id, name, description, is_static, filters, members"}),
		"flags":   arr(map[string]any{"type": "object", "description": "id, key, name, description, tags, filters, active, ensure_experience_continuity, bucketing_identifier, evaluation_runtime, evaluation_contexts"})}),
	"Import": map[string]any{"oneOf": []any{ref("Export"), map[string]any{"type": "object", "description": "PostHog local-evaluation payload",
		"properties": map[string]any{"flags": arr(map[string]any{"type": "object"}), "group_type_mapping": ref("GroupTypes"), "cohorts": map[string]any{"type": "object"}}}}},
	"ImportResult": obj(map[string]any{"environment_version": integer, "flags_created": integer, "flags_updated": integer, "cohorts_created": integer, "cohorts_updated": integer,
		"warnings": arr(obj(map[string]any{"code": map[string]any{"type": "string", "enum": []any{"static_cohort_placeholder"}},
			"cohort_id": integer, "name": str, "flags": arr(str), "message": str}))}),
	"CopyFlags": input(map[string]any{"target_environment_id": integer, "keys": arr(str)}, "target_environment_id", "keys"),
	"AuditEntry": obj(map[string]any{"id": integer, "environment_id": map[string]any{"type": "integer", "nullable": true},
		"environment_version": map[string]any{"type": "integer", "nullable": true}, "actor": str, "actor_token_id": map[string]any{"type": "integer", "nullable": true},
		"action": str, "resource": str, "before": anyJSON, "after": anyJSON, "created_at": dateTime}),
	"AuditPage": obj(map[string]any{"entries": arr(ref("AuditEntry")), "next_cursor": cursorT}),
}
