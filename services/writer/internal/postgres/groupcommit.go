package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Group commit. Every change of an environment bumps its version, and the version row lock is held until
// the commit's WAL flush (ADR 0002), so changes of one environment commit one after another, however many
// connections the writer has. The most frequent change, an edit of one flag (flagupdate.go), therefore goes
// through an editQueue: an edit that arrives while its environment's previous statement is in flight waits,
// and the edits that waited meanwhile are then committed together in one statement (groupEditSQL): each
// flag row updated if it is still at the version the edit was computed from, one version bump, one audit row
// per applied edit, one outbox row (carrying the trace context of every applied edit), one commit. An idle environment's edit commits at once, alone: batching
// adds no delay, it only uses the time a commit already takes. An edit whose flag moved is reported as
// such, and its caller computes it again, as before; two edits of one flag never share a statement.

// maxGroupEdits bounds one statement's edits (and its array parameters).
const maxGroupEdits = 64

// groupTimeout bounds one group's statement: it runs for many requests, so not under one request's context.
const groupTimeout = 30 * time.Second

const groupEditSQL = `WITH u AS (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
		$7::bool[], $8::bool[], $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::bigint[], $14::text[],
		$15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[]) WITH ORDINALITY AS u(id, version,
		name, description, filters, active, eec, bucketing, updated_by, updated_at, tags, token_id, action, resource,
		before, after, runtime, contexts, trace, n)),
	f AS (UPDATE flags SET name = u.name, description = u.description, filters = u.filters::jsonb, active = u.active,
		ensure_experience_continuity = u.eec, bucketing_identifier = u.bucketing, version = flags.version + 1,
		updated_by = u.updated_by, updated_at = u.updated_at,
		tags = ARRAY(SELECT t FROM jsonb_array_elements_text(u.tags::jsonb) WITH ORDINALITY AS x(t, i) ORDER BY i),
		evaluation_runtime = u.runtime,
		evaluation_contexts = ARRAY(SELECT t FROM jsonb_array_elements_text(u.contexts::jsonb) WITH ORDINALITY AS x(t, i) ORDER BY i)
		FROM u WHERE flags.id = u.id AND flags.version = u.version AND flags.environment_id = $1 AND NOT flags.deleted
		RETURNING u.n, ` + qualifiedFlagColumns + `),
	v AS (UPDATE environments SET version = version + 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM f) RETURNING version),
	a AS (INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		SELECT $1, v.version, u.updated_by, u.token_id, u.action, u.resource, u.before::jsonb, u.after::jsonb
		FROM v, u WHERE u.n IN (SELECT n FROM f) ORDER BY u.n),
	o AS (INSERT INTO outbox (environment_id, environment_version, trace_context) SELECT $1, version,
		(SELECT jsonb_agg(u.trace::jsonb ORDER BY u.n) FROM u WHERE u.trace IS NOT NULL AND u.n IN (SELECT n FROM f))
		FROM v)
	SELECT f.*, v.version FROM f, v`

const qualifiedFlagColumns = `flags.id, flags.environment_id, flags.key, flags.name, flags.description, flags.filters,
	flags.active, flags.deleted, flags.ensure_experience_continuity, flags.bucketing_identifier, flags.version,
	flags.created_by, flags.updated_by, flags.created_at, flags.updated_at, flags.tags, flags.deleted_at,
	flags.evaluation_runtime, flags.evaluation_contexts`

// flagEdit is one edit of one flag, computed from cur, waiting to be committed.
type flagEdit struct {
	ctx           context.Context
	envID         int64
	actor         admin.Actor
	cur           admin.FlagRecord
	next          admin.FlagSpec
	action        string
	at            time.Time // updated_at, to the microsecond PostgreSQL keeps
	before, after string    // the audit row's texts
	filters, tags string
	contexts      string  // the evaluation contexts as a JSON list
	trace         *string // the trace context of the edit's commit span as a JSON carrier (nil: none)

	done    chan struct{}
	rec     admin.FlagRecord
	version int64
	group   int   // how many edits its statement committed together
	err     error // pgx.ErrNoRows: the flag moved since cur was read
}

// editQueue holds the edits waiting, per environment; an environment with edits in progress has one
// goroutine committing them (editQueue.run).
type editQueue struct {
	db      *DB
	mu      sync.Mutex
	waiting map[int64][]*flagEdit
	edits   atomic.Int64 // edits submitted (tests wait on it)
}

func newEditQueue(db *DB) *editQueue { return &editQueue{db: db, waiting: map[int64][]*flagEdit{}} }

// commit stores e's edit together with the others of its environment waiting now, and returns its result,
// or its context's error as soon as that ends.
func (q *editQueue) commit(e *flagEdit) (admin.FlagRecord, int64, error) {
	e.done = make(chan struct{})
	q.edits.Add(1)
	q.mu.Lock()
	pending, running := q.waiting[e.envID]
	q.waiting[e.envID] = append(pending, e)
	q.mu.Unlock()
	if !running {
		go q.run(e.envID)
	}
	select {
	case <-e.done:
		return e.rec, e.version, e.err
	case <-e.ctx.Done():
		// The request's deadline passed (PostgreSQL is slow or gone) or its client left: it gets its answer
		// now, while the group's statement finishes or fails under groupTimeout. Whether the edit was
		// applied is then unknown, as for any change whose commit did not answer.
		return admin.FlagRecord{}, 0, e.ctx.Err()
	}
}

// run commits the environment's waiting edits, group by group, until none is left.
func (q *editQueue) run(envID int64) {
	for {
		group := q.take(envID)
		if len(group) == 0 {
			return
		}
		q.db.commitGroup(envID, group)
		for _, e := range group {
			e.group = len(group)
			close(e.done)
		}
	}
}

// take removes the next group from the environment's waiting edits: in arrival order, at most one edit per
// flag (a second would find the flag moved, and be computed again), at most maxGroupEdits. Edits whose
// request ended are answered at once. With none left, the environment leaves the map, so the next edit
// starts a new run.
func (q *editQueue) take(envID int64) []*flagEdit {
	q.mu.Lock()
	defer q.mu.Unlock()
	var group, rest []*flagEdit
	seen := map[int64]bool{}
	for _, e := range q.waiting[envID] {
		switch {
		case e.ctx.Err() != nil:
			e.err = e.ctx.Err()
			close(e.done)
		case seen[e.cur.ID] || len(group) == maxGroupEdits:
			rest = append(rest, e)
		default:
			seen[e.cur.ID] = true
			group = append(group, e)
		}
	}
	if len(group) == 0 {
		delete(q.waiting, envID)
	} else {
		q.waiting[envID] = rest
	}
	return group
}

// commitGroup runs groupEditSQL for the group and sets each edit's result. Deadlocks and serialization
// failures are retried like any change; when PostgreSQL refuses the group's statement for another reason,
// the edits are retried one by one, so that one bad edit cannot fail the others.
func (db *DB) commitGroup(envID int64, group []*flagEdit) {
	err := retry(context.Background(), func() error { return db.commitGroupOnce(envID, group) })
	var refused *pgconn.PgError
	switch {
	case err == nil:
	case len(group) > 1 && errors.As(err, &refused):
		// PostgreSQL refused the statement, so nothing of it was committed: find the edit it refused.
		for _, e := range group {
			db.commitGroup(envID, []*flagEdit{e})
		}
	default:
		// One edit, or an error that leaves unknown whether the group was committed (a lost connection):
		// each edit reports it, as a single edit would.
		for _, e := range group {
			e.err = err
		}
	}
}

func (db *DB) commitGroupOnce(envID int64, group []*flagEdit) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	rows, err := db.Pool.Query(ctx, groupEditSQL, groupArgs(envID, group)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	applied := make([]bool, len(group))
	for rows.Next() {
		var n int
		var rec admin.FlagRecord
		var version int64
		if err := rows.Scan(append(append([]any{&n}, flagDestinations(&rec)...), &version)...); err != nil {
			return err
		}
		if n < 1 || n > len(group) {
			return fmt.Errorf("postgres.commitGroup: edit %d of %d", n, len(group))
		}
		rec.Tags = admin.TagList(rec.Tags)
		rec.EvaluationContexts = contextList(rec.EvaluationContexts)
		e := group[n-1]
		e.rec, e.version, e.err, applied[n-1] = rec, version, nil, true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, e := range group {
		if !applied[i] {
			e.err = pgx.ErrNoRows
		}
	}
	return nil
}

func groupArgs(envID int64, group []*flagEdit) []any {
	n := len(group)
	ids, versions, tokens := make([]int64, n), make([]int64, n), make([]*int64, n)
	names, descriptions, filters, buckets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	actives, eecs := make([]bool, n), make([]bool, n)
	actors, tags, actions, resources := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	befores, afters, ats := make([]string, n), make([]string, n), make([]time.Time, n)
	runtimes, contexts, traces := make([]string, n), make([]string, n), make([]*string, n)
	for i, e := range group {
		ids[i], versions[i], tokens[i] = e.cur.ID, e.cur.Version, tokenIDOf(e.actor)
		names[i], descriptions[i], filters[i], buckets[i] = e.next.Name, e.next.Description, e.filters, e.next.BucketingIdentifier
		actives[i], eecs[i] = e.next.Active, e.next.EnsureExperienceContinuity
		actors[i], tags[i], actions[i], resources[i] = e.actor.Name, e.tags, e.action, "flag/"+e.cur.Key
		befores[i], afters[i], ats[i] = e.before, e.after, e.at
		runtimes[i], contexts[i], traces[i] = e.next.EvaluationRuntime, e.contexts, e.trace
	}
	return []any{envID, ids, versions, names, descriptions, filters, actives, eecs, buckets, actors, ats, tags,
		tokens, actions, resources, befores, afters, runtimes, contexts, traces}
}

// newFlagEdit prepares the edit of cur into next: the texts of its filters, tags and audit row. The audit
// row's "after" is the stored flag, known before it is stored: every column is either next's, cur's, or set
// here (updated_at to the microsecond PostgreSQL keeps, version).
func newFlagEdit(ctx context.Context, envID int64, actor admin.Actor, cur admin.FlagRecord, next admin.FlagSpec, action string) (*flagEdit, error) {
	e := &flagEdit{ctx: ctx, envID: envID, actor: actor, cur: cur, next: next, action: action,
		at: time.Now().Truncate(time.Microsecond), trace: traceCarrier(ctx)}
	after := admin.FlagRecord{FlagSpec: admin.FlagSpec{Tags: admin.TagList(next.Tags)}, EnvironmentID: cur.EnvironmentID,
		CreatedBy: cur.CreatedBy, UpdatedBy: actor.Name, CreatedAt: cur.CreatedAt, UpdatedAt: e.at}
	after.ID, after.Key, after.Version = cur.ID, cur.Key, cur.Version+1
	after.Name, after.Description, after.Filters, after.Active = next.Name, next.Description, next.Filters, next.Active
	after.EnsureExperienceContinuity, after.BucketingIdentifier = next.EnsureExperienceContinuity, next.BucketingIdentifier
	after.EvaluationRuntime, after.EvaluationContexts = next.EvaluationRuntime, contextList(next.EvaluationContexts)
	for _, t := range []struct {
		dst *string
		v   any
	}{{&e.before, cur}, {&e.after, after}, {&e.filters, next.Filters}, {&e.tags, after.Tags},
		{&e.contexts, admin.TagList(next.EvaluationContexts)}} {
		b, err := json.Marshal(t.v)
		if err != nil {
			return nil, fmt.Errorf("postgres.newFlagEdit: %w", err)
		}
		*t.dst = string(b)
	}
	return e, nil
}
