package store

import (
	"io/fs"
	"sort"
	"strings"
	"testing"

	"kaoping/schemas"
)

// TestClusterRewrite: plain DDL, as any migration writes it, becomes its
// cluster form: a replicated local table (the engine's arguments, partition,
// order and settings kept) behind a Distributed table sharded by its first
// sorting column (events by case), ALTERs of columns remaking the
// Distributed table, other ALTERs on the locals only, DROP and RENAME of
// both, and statements with no cluster form refused by name.
func TestClusterRewrite(t *testing.T) {
	c := cluster{name: "kc", db: "kp"}
	for _, tc := range []struct {
		stmt string
		want []string // each step: SQL, or "dist <table> <local> <key>|from <table>[ replace]", "copy", "keys"
	}{
		{"CREATE TABLE IF NOT EXISTS events (\n source String, case_id String\n) ENGINE = MergeTree\nORDER BY (type, case_id)", []string{
			"CREATE TABLE IF NOT EXISTS kp.events_local ON CLUSTER kc (\n source String, case_id String\n) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/kp/events_local', '{replica}')\nORDER BY (type, case_id)",
			"dist events events_local cityHash64(case_id)"}},
		{"CREATE TABLE t (a String, v UInt64, d Date) ENGINE = ReplacingMergeTree(v) PARTITION BY toYYYYMM(d) ORDER BY (a, d) SETTINGS index_granularity = 1024", []string{
			"CREATE TABLE kp.t_local ON CLUSTER kc (a String, v UInt64, d Date) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kp/t_local', '{replica}', v) PARTITION BY toYYYYMM(d) ORDER BY (a, d) SETTINGS index_granularity = 1024",
			"dist t t_local cityHash64(a)"}},
		{"CREATE TABLE IF NOT EXISTS audit (at Int64) ENGINE = MergeTree ORDER BY at", []string{
			"CREATE TABLE IF NOT EXISTS kp.audit_local ON CLUSTER kc (at Int64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/kp/audit_local', '{replica}') ORDER BY at",
			"dist audit audit_local cityHash64(at)"}},
		{"CREATE TABLE n (x UInt8) ENGINE = MergeTree ORDER BY tuple()", []string{
			"CREATE TABLE kp.n_local ON CLUSTER kc (x UInt8) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/kp/n_local', '{replica}') ORDER BY tuple()",
			"dist n n_local rand()"}},
		{"CREATE TABLE events_rebuild AS events", []string{"copy events_rebuild events", "dist events_rebuild events_rebuild_local from events"}},
		{"ALTER TABLE events ADD COLUMN key_hash UInt64 MATERIALIZED cityHash64(source, id)", []string{
			"ALTER TABLE kp.events_local ON CLUSTER kc ADD COLUMN key_hash UInt64 MATERIALIZED cityHash64(source, id)",
			"dist events events_local from events replace"}},
		{"ALTER TABLE scores MODIFY COLUMN grade String, ADD COLUMN x UInt8", []string{
			"ALTER TABLE kp.scores_local ON CLUSTER kc MODIFY COLUMN grade String, ADD COLUMN x UInt8",
			"dist scores scores_local from scores replace"}},
		{"ALTER TABLE runs DELETE WHERE period = ''", []string{"ALTER TABLE kp.runs_local ON CLUSTER kc DELETE WHERE period = ''"}},
		{"DROP TABLE IF EXISTS events_replaced", []string{"DROP TABLE IF EXISTS kp.events_replaced ON CLUSTER kc", "DROP TABLE IF EXISTS kp.events_replaced_local ON CLUSTER kc"}},
		{"RENAME TABLE events TO events_replaced, events_rebuild TO events", []string{"keys",
			"RENAME TABLE kp.events_local TO kp.events_replaced_local, kp.events_rebuild_local TO kp.events_local ON CLUSTER kc",
			"dist events_replaced events_replaced_local from events",
			"dist events events_local from events_rebuild",
			"DROP TABLE IF EXISTS kp.events_rebuild ON CLUSTER kc"}},
		{"OPTIMIZE TABLE events FINAL", nil},
		{"INSERT INTO runs SELECT * FROM runs WHERE 0", []string{"INSERT INTO runs SELECT * FROM runs WHERE 0"}},
	} {
		steps, err := c.rewrite(tc.stmt)
		if err != nil {
			t.Errorf("%s: %v", tc.stmt, err)
			continue
		}
		var got []string
		for _, s := range steps {
			switch {
			case s.readKeys:
				got = append(got, "keys")
			case s.copy != nil:
				got = append(got, "copy "+s.copy.table+" "+s.copy.from)
			case s.distributed != nil:
				d := s.distributed
				k := d.key
				if k == "" {
					k = "from " + d.keyFrom
				}
				if d.replace {
					k += " replace"
				}
				got = append(got, "dist "+d.table+" "+d.local+" "+k)
			default:
				got = append(got, s.sql)
			}
		}
		if strings.Join(got, "\n--\n") != strings.Join(tc.want, "\n--\n") {
			t.Errorf("%s:\n got  %q\n want %q", tc.stmt, got, tc.want)
		}
	}
	for stmt, want := range map[string]string{
		"CREATE TABLE m (x UInt8) ENGINE = Memory": "no cluster form",
		"TRUNCATE TABLE events":                    "no cluster form",
		"CREATE VIEW v AS SELECT 1":                "no cluster form",
		"CREATE TABLE r (x UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY x": "replicated already",
	} {
		if _, err := c.rewrite(stmt); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", stmt, err, want)
		}
	}
}

// TestEveryMigrationHasAClusterForm: each statement of schemas/clickhouse
// (and the migrations table) rewrites into its cluster form, so a migration
// that would not run on a cluster fails here, by name, before it ships.
func TestEveryMigrationHasAClusterForm(t *testing.T) {
	names, _ := fs.Glob(schemas.ClickHouse, "clickhouse/*.sql")
	sort.Strings(names)
	c := cluster{name: "kc", db: "kp"}
	n := 0
	for _, name := range names {
		b, _ := fs.ReadFile(schemas.ClickHouse, name)
		for _, stmt := range append(statements(string(b)), qCreateMigrations) {
			if _, err := c.rewrite(stmt); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			n++
		}
	}
	if n < 15 {
		t.Fatalf("%d statements: the test reads no migrations", n)
	}
}
