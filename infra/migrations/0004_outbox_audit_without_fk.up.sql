-- A change writes its audit rows and its outbox row in the same statement that bumps the environment's
-- version (services/writer/internal/postgres: recordSQL, updateFlagSQL), and only for the environment row
-- that statement updated: the rows cannot name a missing environment, and environments are never deleted.
-- The foreign keys' checks ran at the end of that statement, while the environment's row lock is held, and
-- that lock serializes every change of an environment; they go. Deleting environments, when it comes, must
-- decide what happens to their audit and outbox rows explicitly.
ALTER TABLE outbox DROP CONSTRAINT outbox_environment_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_environment_id_fkey;
