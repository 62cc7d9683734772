package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/jackc/pgx/v5"
)

// readSnapshot reads the environment's complete state at one consistent version (a REPEATABLE READ
// transaction), with the commit time of the oldest change it publishes (CommittedAt), the trace contexts of
// the changes it publishes (oldest first, at most 128; trace.go), and the last publication recorded for it
// on stream (Outbox.mark), in one round trip: the transaction's statements are sent as one pipeline.
func readSnapshot(ctx context.Context, conn *pgx.Conn, envID int64, stream string) (snap *wire.Snapshot, last position, traces []map[string]string, err error) {
	s := &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: envID}
	var members []cohortMember
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(`SELECT project_id, version FROM environments WHERE id = $1`, envID).QueryRow(func(r pgx.Row) error {
		return r.Scan(&s.ProjectID, &s.Version)
	})
	b.Queue(`SELECT stream_sequence, version FROM published_snapshots WHERE stream = $1 AND environment_id = $2`,
		stream, envID).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&last.seq, &last.version); !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	b.Queue(committedAtSQL, envID).QueryRow(func(r pgx.Row) error { return r.Scan(&s.CommittedAt) })
	b.Queue(traceContextsSQL, envID).QueryRow(func(r pgx.Row) error { return r.Scan(&traces) })
	b.Queue(keysSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Keys, err = pgx.CollectRows(rows, scanKey)
		return err
	})
	b.Queue(flagsSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Flags, err = pgx.CollectRows(rows, scanLiveFlag)
		return err
	})
	b.Queue(cohortsSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Cohorts, err = pgx.CollectRows(rows, scanCohortDefinition)
		return err
	})
	b.Queue(`SELECT m.cohort_id, m.member FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
		WHERE c.environment_id = $1 AND c.is_static ORDER BY m.cohort_id, m.member`, envID).Query(func(rows pgx.Rows) (err error) {
		members, err = pgx.CollectRows(rows, pgx.RowToStructByPos[cohortMember])
		return err
	})
	b.Queue(`SELECT idx, name FROM group_types WHERE environment_id = $1`, envID).Query(func(rows pgx.Rows) error {
		s.GroupTypes = map[int]string{}
		var (
			idx  int
			name string
		)
		_, err := pgx.ForEachRow(rows, []any{&idx, &name}, func() error { s.GroupTypes[idx] = name; return nil })
		return err
	})
	b.Queue(`COMMIT`)
	err = conn.SendBatch(ctx, b).Close()
	if conn.PgConn().TxStatus() != 'I' {
		rollback, cancel := cleanUpContext(ctx)
		defer cancel()
		if _, rerr := conn.Exec(rollback, `ROLLBACK`); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return nil, last, nil, fmt.Errorf("postgres.readSnapshot(%d): %w", envID, err)
	}
	attachMembers(s.Cohorts, members)
	return s, last, traces, nil
}

type cohortMember struct {
	CohortID int64
	Member   string
}

// attachMembers gives each static cohort its members (sorted by cohort id, then member).
func attachMembers(cohorts []flag.Cohort, members []cohortMember) {
	byID := map[int64]*flag.Cohort{}
	for i := range cohorts {
		if cohorts[i].IsStatic {
			cohorts[i].Members = []string{}
			byID[cohorts[i].ID] = &cohorts[i]
		}
	}
	for _, m := range members {
		if c := byID[m.CohortID]; c != nil {
			c.Members = append(c.Members, m.Member)
		}
	}
}

// committedAtSQL is when the oldest pending outbox row of the environment was created (unix milliseconds, 0
// when none is pending): the oldest change the snapshot publishes, from which evaluators measure replication
// lag. A row is created in its change's transaction, so this is the change's commit time to within that
// transaction's duration.
const committedAtSQL = `SELECT coalesce(floor(extract(epoch FROM min(created_at)) * 1000), 0)::bigint
	FROM outbox WHERE environment_id = $1 AND published_at IS NULL`

const keysSQL = `SELECT kind, value, coalesce((extract(epoch FROM expires_at) * 1000)::bigint, 0)
	FROM environment_keys WHERE environment_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id`

func scanKey(r pgx.CollectableRow) (wire.Key, error) {
	var k wire.Key
	err := r.Scan(&k.Kind, &k.Value, &k.ExpiresAt)
	return k, err
}

const flagsSQL = `SELECT ` + flagColumns + ` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`

func scanLiveFlag(r pgx.CollectableRow) (flag.Flag, error) {
	rec, err := scanFlag(r)
	return rec.Flag, err
}

func readFlags(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Flag, error) {
	rows, err := tx.Query(ctx, flagsSQL, envID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanLiveFlag)
}
