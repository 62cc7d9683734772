// Names for the generated API types, and the shape the OpenAPI description leaves loose: PostHog's filters,
// which it describes as an object.
import type { components } from "./schema";

type S = components["schemas"];

export type Project = S["Project"];
export type Key = S["Key"];
export type GroupTypes = S["GroupTypes"];
export type Cohort = S["Cohort"];
export type AuditEntry = S["AuditEntry"];
export type ImportResult = S["ImportResult"];

export type Environment = S["Environment"];
export type EnvironmentDetail = S["EnvironmentDetail"];
export type EnvironmentPatch = S["EnvironmentPatch"];

export type PropertyType = "person" | "group" | "cohort" | "flag";

export interface PropertyFilter {
  key: string;
  type: PropertyType;
  operator: string;
  value: unknown;
  group_type_index?: number | null;
  negation?: boolean;
}

export interface Condition {
  properties: PropertyFilter[];
  rollout_percentage: number | null;
  variant?: string | null;
  aggregation_group_type_index?: number | null;
}

export interface Variant {
  key: string;
  name?: string;
  rollout_percentage: number;
}

export interface Filters {
  groups: Condition[];
  multivariate?: { variants: Variant[] } | null;
  payloads?: Record<string, unknown>;
  aggregation_group_type_index?: number | null;
  holdout?: { id: number; exclusion_percentage: number } | null;
  holdout_groups?: Condition[];
  super_groups?: Condition[];
  feature_enrollment?: boolean | null;
}

/** A flag document as PUT /flags/{key} takes it, with the filters typed. */
export type FlagDocument = Omit<S["FlagDocument"], "filters"> & { filters: Filters };
export type Flag = Omit<S["Flag"], "filters"> & { filters: Filters };

export interface FlagPage {
  flags: Flag[];
  next_cursor: string | null;
  environment_version: number;
}

export interface Problem {
  path: string;
  message: string;
  flag?: string;
}

export type EvaluateRequest = Omit<S["EvaluateRequest"], "draft"> & { draft?: FlagDocument };
export type FlagResult = S["FlagEvaluation"];
export type EvaluateResponse = S["Evaluation"];
