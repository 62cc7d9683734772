-- Where a flag is served, as PostHog stores it: evaluation_runtime ('' or 'all' everywhere, 'client' or
-- 'server' only to requests from that runtime) and evaluation_contexts (a flag with contexts is served only to
-- requests naming one of them, when they name any). Existing flags get neither: they are served as before.
ALTER TABLE flags
    ADD COLUMN evaluation_runtime  text   NOT NULL DEFAULT '',
    ADD COLUMN evaluation_contexts text[] NOT NULL DEFAULT '{}';
