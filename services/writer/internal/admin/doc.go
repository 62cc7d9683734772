// Package admin is the writer's domain: the admin API's resources (projects, environments and their keys,
// flags, cohorts, admin tokens, the audit log, export and import) as plain Go types, and every rule about
// them that needs no database: validation, the snapshot budget arithmetic, the rewriting of imported
// definitions (PostHog's local-evaluation shape into Halyard's), key generation and hashing, the "refuse
// only new problems" rule, and Invalid, the one 422 error. It imports neither pgx nor echo: package postgres
// stores and loads these types, package httpapi decodes requests into them and answers with them.
//
// Adding a resource (a webhook, say) touches four places, in this order:
//   - here, webhook.go: the types (Webhook as stored, WebhookSpec as an admin defines it) and
//     ValidateWebhook, with table tests in webhook_test.go;
//   - postgres/webhooks.go: methods on *DB taking and returning admin.Webhook; a change of an environment
//     goes through inEnvironment or change, so it is versioned, audited and published like the others;
//   - httpapi/webhooks.go: a WebhookStore interface listing only the methods its handlers call, the
//     handlers, and their rows in routes (server.go) and operations (openapi.go);
//   - app.go: a Webhooks field of httpapi.Server set to the database, next to the compile-time check
//     var _ httpapi.WebhookStore = (*postgres.DB)(nil).
package admin
