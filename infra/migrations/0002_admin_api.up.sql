-- The complete admin API: flag tags, cohorts (static members and property trees), group types, admin tokens,
-- and audit rows that name the token that made the change.

ALTER TABLE flags ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE flags ADD COLUMN deleted_at timestamptz;
-- Restoring takes the most recently deleted row of a key.
CREATE INDEX flags_env_deleted ON flags (environment_id, key, deleted_at DESC) WHERE deleted;

-- A cohort belongs to one environment. Static cohorts list member ids in cohort_members; property cohorts
-- hold PostHog's nested AND/OR tree in filters.
CREATE TABLE cohorts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id  bigint NOT NULL REFERENCES environments (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '',
    is_static       boolean NOT NULL,
    filters         jsonb,
    version         bigint NOT NULL DEFAULT 1,
    created_by      text NOT NULL DEFAULT '',
    updated_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (environment_id, name)
);

CREATE TABLE cohort_members (
    cohort_id  bigint NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    member     text NOT NULL CHECK (length(member) BETWEEN 1 AND 400),
    PRIMARY KEY (cohort_id, member)
);

-- aggregation_group_type_index → group type name, per environment (PostHog allows indexes 0 to 4).
CREATE TABLE group_types (
    environment_id  bigint NOT NULL REFERENCES environments (id),
    idx             int NOT NULL CHECK (idx BETWEEN 0 AND 4),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (environment_id, idx),
    UNIQUE (environment_id, name)
);

-- Admin tokens are shown once; only the SHA-256 of their secret part is kept.
CREATE TABLE admin_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    secret_hash  text NOT NULL,
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin'] AND cardinality(scopes) > 0),
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz
);

-- Audit rows also record changes outside environments (projects, tokens), and which token acted.
ALTER TABLE audit_log ALTER COLUMN environment_id DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN environment_version DROP NOT NULL;
ALTER TABLE audit_log ADD COLUMN actor_token_id bigint;
CREATE INDEX audit_log_resource ON audit_log (resource, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_created ON audit_log (created_at);

-- Audit rows are append-only, whoever connects.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
