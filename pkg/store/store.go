// Package store is kaoping's ClickHouse: the connection (with retries while the
// server is away), the migrations embedded from schemas/clickhouse, batched
// inserts with explicit column lists, and the queries of the scorer and the
// api. SQL lives in queries.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"kaoping/pkg/backoff"
	"kaoping/schemas"
)

// Options say where ClickHouse is.
type Options struct {
	Addr     string // host:port of the native protocol
	Database string
	Username string
	Password string
	// MaxExecutionTime bounds every query on the server.
	MaxExecutionTime time.Duration
	// LogQueries writes every query of this connection, with its duration
	// and peak memory, to system.query_log (the server needs a query_log
	// section): what make bench-scale reads.
	LogQueries bool
	// Cluster, when set, is the ClickHouse cluster (a name in the servers'
	// remote_servers) the schema lives on: every table a replicated local
	// table on each shard behind a Distributed table of its name, every DDL
	// ON CLUSTER (cluster.go). Empty: one server, plain tables.
	Cluster string
}

// Store is an open connection to kaoping's database.
type Store struct {
	conn driver.Conn
	db   string
	addr string
	log  *slog.Logger
	// dupMu keeps one duplicate scan at a time (CatchUpDuplicates).
	dupMu sync.Mutex
	// cluster is set on a ClickHouse cluster (Options.Cluster).
	cluster *cluster
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// clickhouse is the client's options for database; quorum, when above 1, is
// the number of replicas an insert waits for (a cluster's replicas per shard).
func (o Options) clickhouse(database string, quorum uint64) *clickhouse.Options {
	user := o.Username
	if user == "" {
		user = "default"
	}
	met := o.MaxExecutionTime
	if met == 0 {
		met = 5 * time.Minute
	}
	settings := clickhouse.Settings{"max_execution_time": int(met.Seconds())}
	if o.LogQueries {
		settings["log_queries"] = 1
	}
	if o.Cluster != "" {
		// An insert returns once every shard stored its rows: the
		// aggregator acks, and the read barrier counts, only what is
		// stored. (distributed_product_mode comes from the user's profile:
		// checkCluster.)
		settings["insert_distributed_sync"] = 1
	}
	if quorum > 1 {
		// With replicas, an insert returns once every replica of its shard
		// holds it: a Distributed read picks any replica, and one that had
		// not fetched the part yet would miss an acknowledged event.
		settings["insert_quorum"] = int(quorum)
	}
	return &clickhouse.Options{
		Addr:        []string{o.Addr},
		Auth:        clickhouse.Auth{Database: database, Username: user, Password: o.Password},
		Settings:    settings,
		DialTimeout: 5 * time.Second,
	}
}

// Open connects to ClickHouse, creates the database if needed and applies the
// migrations. While ClickHouse cannot be reached it waits and retries (logging
// each failure, and telling report when it is not nil) until ctx ends: a
// service started before its database must not give up.
func Open(ctx context.Context, o Options, log *slog.Logger, report func(error)) (*Store, error) {
	if !identRE.MatchString(o.Database) {
		return nil, fmt.Errorf("database name %q is not a plain identifier", o.Database)
	}
	if o.Cluster != "" && !identRE.MatchString(o.Cluster) {
		return nil, fmt.Errorf("cluster name %q is not a plain identifier", o.Cluster)
	}
	var s *Store
	err := backoff.Default.Retry(ctx, func(ctx context.Context) (err error) {
		s, err = open(ctx, o, log)
		return err
	}, func(err error, attempt int, wait time.Duration) {
		log.Warn("clickhouse not ready, retrying", "addr", o.Addr, "attempt", attempt, "err", err, "in", wait.String())
		if report != nil {
			report(fmt.Errorf("clickhouse %s: %w", o.Addr, err))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", o.Addr, err)
	}
	if report != nil {
		report(nil)
	}
	return s, nil
}

// Watch pings ClickHouse every interval until ctx ends and tells report
// whether it answered, so a service's readiness follows its database.
func (s *Store) Watch(ctx context.Context, interval time.Duration, report func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval)
		err := s.conn.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			err = fmt.Errorf("clickhouse %s: %w", s.addr, err)
		}
		report(err)
	}
}

func open(ctx context.Context, o Options, log *slog.Logger) (*Store, error) {
	// The database is created only when it is missing, so a user who may not
	// create one (deploy/clickhouse: only the writer may) starts once it
	// exists. The first connection is to system, which every user may use:
	// a user may be allowed its own database only.
	boot, err := clickhouse.Open(o.clickhouse("system", 0))
	if err != nil {
		return nil, err
	}
	var n, quorum uint64
	missing := false
	if o.Cluster == "" {
		err = boot.QueryRow(ctx, qDatabaseExists, o.Database).Scan(&n)
		missing = n == 0
	} else {
		// On a cluster the database must be on every server: one created
		// by hand on a single server is completed ON CLUSTER.
		var hosts uint64
		if err = boot.QueryRow(ctx, qClusterHosts, o.Cluster).Scan(&hosts); err == nil && hosts == 0 {
			err = fmt.Errorf("cluster %s is not in the server's remote_servers (KAOPING_CLICKHOUSE_CLUSTER)", o.Cluster)
		}
		if err == nil {
			err = boot.QueryRow(ctx, qClusterDatabaseHosts, o.Cluster, o.Database).Scan(&n)
		}
		if err == nil {
			quorum, err = replicasPerShard(ctx, boot, o.Cluster)
		}
		missing = n < hosts
	}
	if err == nil && missing {
		// The names are plain identifiers (checked by Open), never input.
		if o.Cluster == "" {
			err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+o.Database)
		} else {
			// Both names checked by Open; nothing else is spliced in.
			stmt := "CREATE DATABASE IF NOT EXISTS " + o.Database + " ON CLUSTER " + o.Cluster
			err = boot.Exec(ctx, stmt)
		}
	}
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	conn, err := clickhouse.Open(o.clickhouse(o.Database, quorum))
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	s := &Store{conn: conn, db: o.Database, addr: o.Addr, log: log}
	if o.Cluster != "" {
		s.cluster = &cluster{name: o.Cluster, db: o.Database}
		if err := s.checkCluster(ctx); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// migrate applies schemas/clickhouse/*.sql in name order, each once. Every
// statement is idempotent (IF NOT EXISTS), so two services migrating at once
// is harmless. When every migration is applied it runs no DDL at all: a
// service whose user may not create tables (deploy/clickhouse) starts once
// the writer has migrated.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(schemas.ClickHouse, "clickhouse/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var n uint64
	if err := s.conn.QueryRow(ctx, qMigrationsTableExists, s.db).Scan(&n); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	if n == 0 {
		if err := s.ddl(ctx, qCreateMigrations); err != nil {
			return fmt.Errorf("migrations table: %w", err)
		}
	}
	applied := map[string]bool{}
	rows, err := s.conn.Query(ctx, qAppliedMigrations)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		applied[name] = true
	}
	rows.Close()
	for _, name := range names {
		if applied[name] {
			continue
		}
		b, err := fs.ReadFile(schemas.ClickHouse, name)
		if err != nil {
			return err
		}
		for _, stmt := range statements(string(b)) {
			if err := s.ddl(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		if err := s.recordMigration(ctx, name); err != nil {
			return fmt.Errorf("record migration %s: %w", name, err)
		}
	}
	return nil
}

// recordMigration notes an applied migration. Inserts go through a batch:
// the native protocol sends rows as data blocks, not as query text.
func (s *Store) recordMigration(ctx context.Context, name string) error {
	batch, err := s.conn.PrepareBatch(ctx, qRecordMigration)
	if err != nil {
		return err
	}
	if err := batch.Append(name, time.Now().UnixNano()); err != nil {
		_ = batch.Abort()
		return err
	}
	return batch.Send()
}

// columnExists reports whether err is an ADD COLUMN meeting the column it
// adds: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, and a service that
// migrates at the same time as another may find the column added already.
func columnExists(stmt string, err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == 44 && strings.Contains(strings.ToUpper(stmt), "ADD COLUMN")
}

// statements splits a migration into statements at semicolons that end a
// line, dropping comment lines.
func statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// isNoRows reports whether a QueryRow found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ErrNotFound is returned when a run or result does not exist.
var ErrNotFound = errors.New("not found")

// RegisterFlags declares the ClickHouse settings on fs and returns their
// environment variables, for flagenv.Parse; every service that reads or writes
// ClickHouse names them the same way.
func (o *Options) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.StringVar(&o.Addr, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native protocol host:port")
	fs.StringVar(&o.Database, "clickhouse-database", "kaoping", "ClickHouse database (created when missing)")
	fs.StringVar(&o.Username, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&o.Password, "clickhouse-password", "", "ClickHouse password")
	fs.DurationVar(&o.MaxExecutionTime, "clickhouse-max-execution-time", 5*time.Minute, "longest a query may run on the server")
	fs.BoolVar(&o.LogQueries, "clickhouse-log-queries", false, "write every query, with its duration and peak memory, to system.query_log")
	fs.StringVar(&o.Cluster, "clickhouse-cluster", "", "ClickHouse cluster (a name in remote_servers) the schema lives on: replicated tables, Distributed tables, DDL ON CLUSTER; empty: one server")
	return map[string]string{
		"clickhouse-cluster":            "KAOPING_CLICKHOUSE_CLUSTER",
		"clickhouse-log-queries":        "KAOPING_CLICKHOUSE_LOG_QUERIES",
		"clickhouse-addr":               "KAOPING_CLICKHOUSE_ADDR",
		"clickhouse-database":           "KAOPING_CLICKHOUSE_DATABASE",
		"clickhouse-user":               "KAOPING_CLICKHOUSE_USER",
		"clickhouse-password":           "KAOPING_CLICKHOUSE_PASSWORD",
		"clickhouse-max-execution-time": "KAOPING_CLICKHOUSE_MAX_EXECUTION_TIME",
	}
}
