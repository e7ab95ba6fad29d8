package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// A ClickHouse cluster, chosen by configuration alone (Options.Cluster,
// KAOPING_CLICKHOUSE_CLUSTER): the migrations of schemas/clickhouse stay
// plain, single-server SQL, and every DDL statement the store runs is
// rewritten here, generically, into its cluster form:
//
//   - CREATE TABLE t (…) ENGINE = XMergeTree(args) … becomes the table t_local,
//     ENGINE = ReplicatedXMergeTree('/clickhouse/tables/{shard}/<db>/t_local',
//     '{replica}', args), on every server (ON CLUSTER), and t, a Distributed
//     table over the t_locals under the name every query uses;
//   - CREATE TABLE t AS u copies u_local (a new ZooKeeper path) and u's
//     sharding key;
//   - ALTER TABLE t … alters t_local ON CLUSTER, then makes t again from
//     t_local's columns (ClickHouse 18.16 refuses ALTER ON CLUSTER of a
//     Distributed table over replicated shards);
//   - DROP and RENAME apply to both; RENAME renames the local tables (the
//     Distributed tables name theirs, so a swap of locals swaps what every
//     Distributed table reads) and gives each new name its Distributed table.
//
// Queries and inserts are unchanged: they go to the Distributed tables. The
// user's profile makes every IN subquery GLOBAL (checkCluster) and the
// connection's settings every insert synchronous (Options.clickhouse);
// docs/operations.md ("ClickHouse cluster") says why each query stays exact.

// LocalSuffix ends the name of the replicated table behind each Distributed
// table of a cluster.
const LocalSuffix = "_local"

// shardingKeys are the tables whose rows must lie together: every stored row
// of a case, each copy included, on one shard (SPEC §8, sharded by case). It
// is the case_hash the scorer partitions and orders by, written out because a
// Distributed table computes its key before the shard materializes columns.
// Every other table is sharded by a hash of its first sorting column
// (shardingKey), so the rows one query groups by it (a run's results and
// scores, a period's runs) lie together too.
var shardingKeys = map[string]string{
	"events": "cityHash64(case_id)",
}

type cluster struct {
	name string // in the servers' remote_servers
	db   string
}

var (
	reCreate   = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s*(\(.*\))\s*ENGINE\s*=\s*(\w*?)MergeTree\b(\s*\(([^()]*)\))?(.*)$`)
	reCreateAs = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s+AS\s+(\w+)\s*$`)
	reAlter    = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+(.*)$`)
	reDrop     = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?(\w+)\s*$`)
	reRename   = regexp.MustCompile(`(?is)^RENAME\s+TABLE\s+(.*)$`)
	reOptimize = regexp.MustCompile(`(?is)^OPTIMIZE\s+TABLE\s`)
	rePair     = regexp.MustCompile(`(?is)^\s*(\w+)\s+TO\s+(\w+)\s*$`)
	reOrderBy  = regexp.MustCompile(`(?is)ORDER\s+BY\s+\(?\s*(\w+)`)
	reDistKey  = regexp.MustCompile(`(?is)^Distributed\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*(.+)\)\s*$`)
	reZKPath   = regexp.MustCompile(`(?s)^(\w*?)MergeTree\('[^']*'\s*,\s*'[^']*'\s*(,[^)]*)?\)(.*)$`)
	// Only column changes reach the Distributed table; other ALTERs
	// (mutations, indexes) concern the data, which lies in the locals.
	reColumnOps = regexp.MustCompile(`(?is)^\s*(ADD|DROP|MODIFY|CLEAR|COMMENT)\s+COLUMN\b`)
)

// step is one statement of a rewritten DDL, run in order; a step whose
// error is a column already there (code 44 of ADD COLUMN, as a single server
// answers a second service migrating at once) is done.
type step struct {
	sql string
	// distributed, when set, (re)makes the Distributed table over a local
	// one instead of running sql: its columns are read from the server.
	distributed *distributedStep
	// copy, when set, creates a local table like another's.
	copy *copyStep
	// readKeys reads the sharding keys the later steps copy, before a
	// RENAME moves their tables.
	readKeys bool
}

type copyStep struct{ ifNot, table, from string }

type distributedStep struct {
	table, local, key string
	// keyFrom, when key is empty, names the Distributed table whose
	// sharding key to copy.
	keyFrom string
	replace bool // drop the table first (its columns changed)
}

// rewrite turns one plain DDL statement into its cluster steps.
func (c cluster) rewrite(stmt string) ([]step, error) {
	stmt = strings.TrimSpace(stmt)
	on := " ON CLUSTER " + c.name
	q := func(t string) string { return c.db + "." + t }
	if m := reCreate.FindStringSubmatch(stmt); m != nil {
		ifNot, table, columns, variant, args, rest := m[1], m[2], m[3], m[4], m[6], m[7]
		if strings.HasPrefix(strings.ToLower(variant), "replicated") {
			return nil, fmt.Errorf("cluster: %s is replicated already: a migration names the plain engine, the cluster form replicates it", table)
		}
		local := table + LocalSuffix
		engine := fmt.Sprintf("Replicated%sMergeTree('/clickhouse/tables/{shard}/%s/%s', '{replica}'", variant, c.db, local)
		if strings.TrimSpace(args) != "" {
			engine += ", " + strings.TrimSpace(args)
		}
		key := shardingKeys[table]
		if key == "" {
			key = shardingKey(rest)
		}
		return []step{
			{sql: "CREATE TABLE " + ifNot + q(local) + on + " " + columns + " ENGINE = " + engine + ")" + rest},
			{distributed: &distributedStep{table: table, local: local, key: key}},
		}, nil
	}
	if m := reCreateAs.FindStringSubmatch(stmt); m != nil {
		ifNot, table, from := m[1], m[2], m[3]
		return []step{
			{copy: &copyStep{ifNot: ifNot, table: table, from: from}},
			{distributed: &distributedStep{table: table, local: table + LocalSuffix, keyFrom: from}},
		}, nil
	}
	if m := reAlter.FindStringSubmatch(stmt); m != nil {
		table, ops := m[1], m[2]
		steps := []step{{sql: "ALTER TABLE " + q(table+LocalSuffix) + on + " " + ops}}
		if reColumnOps.MatchString(ops) {
			steps = append(steps, step{distributed: &distributedStep{table: table, local: table + LocalSuffix, keyFrom: table, replace: true}})
		}
		return steps, nil
	}
	if m := reDrop.FindStringSubmatch(stmt); m != nil {
		ifExists, table := m[1], m[2]
		return []step{
			{sql: "DROP TABLE " + ifExists + q(table) + on},
			{sql: "DROP TABLE " + ifExists + q(table+LocalSuffix) + on},
		}, nil
	}
	if m := reRename.FindStringSubmatch(stmt); m != nil {
		var locals []string
		var after []step
		targets := map[string]bool{}
		type pair struct{ from, to string }
		var pairs []pair
		for _, p := range strings.Split(m[1], ",") {
			pm := rePair.FindStringSubmatch(p)
			if pm == nil {
				return nil, fmt.Errorf("cluster: cannot read %q of a RENAME", p)
			}
			pairs = append(pairs, pair{pm[1], pm[2]})
			targets[pm[2]] = true
			locals = append(locals, q(pm[1]+LocalSuffix)+" TO "+q(pm[2]+LocalSuffix))
		}
		for _, p := range pairs {
			// A new name gets a Distributed table over its new local one,
			// sharded as the table it was; a name left without a local table
			// loses its Distributed one.
			after = append(after, step{distributed: &distributedStep{table: p.to, local: p.to + LocalSuffix, keyFrom: p.from}})
			if !targets[p.from] {
				after = append(after, step{sql: "DROP TABLE IF EXISTS " + q(p.from) + on})
			}
		}
		return append([]step{{readKeys: true}, {sql: "RENAME TABLE " + strings.Join(locals, ", ") + on}}, after...), nil
	}
	if reOptimize.MatchString(stmt) {
		// A migration's OPTIMIZE rewrites parts stored before it (009: parts
		// without the hashes). A cluster's tables are made by the cluster
		// forms from the first migration on, before anything is stored, so
		// there is nothing to rewrite; and 18.16 fails an OPTIMIZE … FINAL
		// ON CLUSTER of an empty replicated table ("Unknown log entry type").
		return nil, nil
	}
	if strings.HasPrefix(strings.ToUpper(stmt), "CREATE") || strings.HasPrefix(strings.ToUpper(stmt), "ALTER") ||
		strings.HasPrefix(strings.ToUpper(stmt), "DROP") || strings.HasPrefix(strings.ToUpper(stmt), "RENAME") ||
		strings.HasPrefix(strings.ToUpper(stmt), "TRUNCATE") {
		return nil, fmt.Errorf("cluster: no cluster form for %.80q (only CREATE TABLE … ENGINE = *MergeTree, CREATE TABLE … AS, ALTER, DROP and RENAME TABLE have one)", stmt)
	}
	return []step{{sql: stmt}}, nil
}

// shardingKey is a hash of the first sorting column of a table's engine
// clause (what follows ENGINE = …MergeTree(…)), or rand() when it has none.
func shardingKey(engineRest string) string {
	if m := reOrderBy.FindStringSubmatch(engineRest); m != nil && !strings.EqualFold(m[1], "tuple") {
		return "cityHash64(" + m[1] + ")"
	}
	return "rand()"
}

// ddl runs one plain DDL statement: as it is on a single server, rewritten
// into its cluster form on a cluster.
func (s *Store) ddl(ctx context.Context, stmt string) error {
	if s.cluster == nil {
		if err := s.conn.Exec(ctx, stmt); err != nil && !columnExists(stmt, err) {
			return err
		}
		return nil
	}
	steps, err := s.cluster.rewrite(stmt)
	if err != nil {
		return err
	}
	// The sharding keys of the tables a RENAME moves, read before it.
	keys := map[string]string{}
	for _, st := range steps {
		switch {
		case st.distributed != nil:
			if err := s.makeDistributed(ctx, *st.distributed, keys); err != nil {
				return err
			}
		case st.readKeys:
			for _, later := range steps {
				if d := later.distributed; d != nil {
					k, err := s.distributedKey(ctx, d.keyFrom)
					if err != nil {
						return err
					}
					keys[d.keyFrom] = k
				}
			}
		case st.copy != nil:
			if err := s.copyLocal(ctx, st.copy.ifNot, st.copy.table, st.copy.from); err != nil {
				return err
			}
		default:
			// Composed of the migration's (constant) text and the checked
			// database and cluster identifiers, never of a value.
			stmt := st.sql
			if err := s.conn.Exec(ctx, stmt); err != nil && !columnExists(stmt, err) {
				return err
			}
		}
	}
	return nil
}

// ErrClusterProfile is returned by Open when the user's profile on a cluster
// lacks distributed_product_mode = global.
var ErrClusterProfile = errors.New("the ClickHouse user's profile must set distributed_product_mode to global on a cluster (deploy/clickhouse/cluster/users.d/cluster.xml)")

// checkCluster makes sure that every IN subquery over a Distributed table is
// GLOBAL (open found the cluster in remote_servers): computed once over all
// shards and sent to each, so no answer depends on which shard holds a row (a later
// copy of an event may name another case, and lie on another shard). The
// setting is a string, which ClickHouse 18.16 takes from a profile but not
// from clickhouse-go's settings, so it must come from the user's profile;
// without it a query would fail (deny, the default) or read each shard's
// rows only (local), never silently here.
func (s *Store) checkCluster(ctx context.Context) error {
	var mode string
	if err := s.conn.QueryRow(ctx, qProductMode).Scan(&mode); err != nil {
		return fmt.Errorf("cluster %s: %w", s.cluster.name, err)
	}
	if mode != "global" {
		return fmt.Errorf("%w; it is %q", ErrClusterProfile, mode)
	}
	return nil
}

// replicasPerShard is the number of replicas of every shard of the cluster;
// shards with different numbers are refused, since one insert quorum must
// be every replica of whichever shard an insert lands on.
func replicasPerShard(ctx context.Context, conn driver.Conn, cluster string) (uint64, error) {
	var lo, hi uint64
	if err := conn.QueryRow(ctx, qClusterReplicas, cluster).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	if lo != hi {
		return 0, fmt.Errorf("cluster %s: its shards have from %d to %d replicas; kaoping needs the same number on every shard (an insert waits for all of them)", cluster, lo, hi)
	}
	return hi, nil
}

// distributedKey is the sharding key of an existing Distributed table.
func (s *Store) distributedKey(ctx context.Context, table string) (string, error) {
	var engine string
	if err := s.conn.QueryRow(ctx, qTableEngine, s.db, table).Scan(&engine); err != nil {
		return "", fmt.Errorf("cluster: the engine of %s: %w", table, err)
	}
	m := reDistKey.FindStringSubmatch(engine)
	if m == nil {
		return "", fmt.Errorf("cluster: %s is not a Distributed table with a sharding key (%s)", table, engine)
	}
	return strings.TrimSpace(m[1]), nil
}

// makeDistributed creates the Distributed table d.table over d.local, with
// d.local's columns as they are on this server: MATERIALIZED columns become
// ALIAS (a Distributed insert would send a materialized value, which the
// shard refuses; reading one gives the shard's stored value either way).
func (s *Store) makeDistributed(ctx context.Context, d distributedStep, known map[string]string) error {
	key := d.key
	if key == "" {
		key = known[d.keyFrom]
	}
	if key == "" {
		k, err := s.distributedKey(ctx, d.keyFrom)
		if err != nil {
			return err
		}
		key = k
	}
	rows, err := s.conn.Query(ctx, qTableColumns, s.db, d.local)
	if err != nil {
		return fmt.Errorf("cluster: the columns of %s: %w", d.local, err)
	}
	var cols []string
	for rows.Next() {
		var name, typ, kind, expr string
		if err := rows.Scan(&name, &typ, &kind, &expr); err != nil {
			rows.Close()
			return err
		}
		col := "`" + name + "` " + typ
		switch kind {
		case "MATERIALIZED", "ALIAS":
			col += " ALIAS " + expr
		case "DEFAULT":
			col += " DEFAULT " + expr
		}
		cols = append(cols, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cols) == 0 {
		return fmt.Errorf("cluster: %s.%s has no columns on this server", s.db, d.local)
	}
	on := " ON CLUSTER " + s.cluster.name
	var stmts []string
	if d.replace {
		stmts = append(stmts, "DROP TABLE IF EXISTS "+s.db+"."+d.table+on)
	}
	stmts = append(stmts, "CREATE TABLE IF NOT EXISTS "+s.db+"."+d.table+on+" ("+strings.Join(cols, ", ")+
		") ENGINE = Distributed("+s.cluster.name+", "+s.db+", "+d.local+", "+key+")")
	for _, stmt := range stmts {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	return nil
}

// copyLocal creates table's local table with the structure and engine of
// from's, on its own ZooKeeper path: a table renamed keeps its path, so a
// name made again (a second rebuild) must not reuse one.
func (s *Store) copyLocal(ctx context.Context, ifNot, table, from string) error {
	var engine string
	if err := s.conn.QueryRow(ctx, qTableEngine, s.db, from+LocalSuffix).Scan(&engine); err != nil {
		return fmt.Errorf("cluster: the engine of %s: %w", from+LocalSuffix, err)
	}
	m := reZKPath.FindStringSubmatch(engine)
	if m == nil || !strings.HasPrefix(m[1], "Replicated") {
		return fmt.Errorf("cluster: %s is not a replicated table (%s)", from+LocalSuffix, engine)
	}
	local := table + LocalSuffix
	path := fmt.Sprintf("/clickhouse/tables/{shard}/%s/%s/%s", s.db, local, strconv.FormatInt(time.Now().UnixNano(), 36))
	stmt := "CREATE TABLE " + ifNot + s.db + "." + local + " ON CLUSTER " + s.cluster.name + " AS " + s.db + "." + from + LocalSuffix +
		" ENGINE = " + m[1] + "MergeTree('" + path + "', '{replica}'" + m[2] + ")" + m[3]
	if err := s.conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}
