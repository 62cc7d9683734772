-- Projects group environments (development, staging, production, ...).
CREATE TABLE projects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- An environment owns flags and a monotonic version: every committed change bumps it by one.
CREATE TABLE environments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    version     bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);

-- Credentials of an environment. SDK keys are public and stored in clear; server keys are secret and stored
-- only as the SHA-256 hex of the key. expires_at lets a rotated key live on for a grace period.
CREATE TABLE environment_keys (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id  bigint NOT NULL REFERENCES environments (id),
    kind            text NOT NULL CHECK (kind IN ('sdk', 'server')),
    value           text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz
);
CREATE INDEX environment_keys_env ON environment_keys (environment_id);

CREATE TABLE flags (
    id                            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id                bigint NOT NULL REFERENCES environments (id),
    key                           text NOT NULL,
    name                          text NOT NULL DEFAULT '',
    description                   text NOT NULL DEFAULT '',
    filters                       jsonb NOT NULL DEFAULT '{"groups": []}',
    active                        boolean NOT NULL DEFAULT true,
    deleted                       boolean NOT NULL DEFAULT false,
    ensure_experience_continuity  boolean NOT NULL DEFAULT false,
    bucketing_identifier          text NOT NULL DEFAULT '',
    version                       bigint NOT NULL DEFAULT 1,
    created_by                    text NOT NULL DEFAULT '',
    updated_by                    text NOT NULL DEFAULT '',
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);
-- A key is unique among the flags that are not deleted, so a deleted key can be created again.
CREATE UNIQUE INDEX flags_env_key ON flags (environment_id, key) WHERE NOT deleted;

-- Who changed what, and the environment version the change produced. Append-only.
CREATE TABLE audit_log (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id       bigint NOT NULL REFERENCES environments (id),
    environment_version  bigint NOT NULL,
    actor                text NOT NULL,
    action               text NOT NULL,
    resource             text NOT NULL,
    before               jsonb,
    after                jsonb,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_env ON audit_log (environment_id, id);

-- Transactional outbox: one row per committed change; the publisher marks rows once JetStream acknowledged a
-- snapshot at or after their version.
CREATE TABLE outbox (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id       bigint NOT NULL REFERENCES environments (id),
    environment_version  bigint NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    published_at         timestamptz
);
CREATE INDEX outbox_pending ON outbox (environment_id) WHERE published_at IS NULL;
