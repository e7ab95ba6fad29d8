-- Hashes the scorer reads by, computed by ClickHouse at insert (MATERIALIZED),
-- so the insert path does not change; parts written before this migration
-- compute them when they are read. key_hash names an event (source, id) and
-- finds its copies; case_hash names a case (with its family) and is what a
-- run partitions and orders the period's events by.
ALTER TABLE events ADD COLUMN key_hash UInt64 MATERIALIZED cityHash64(source, id);
ALTER TABLE events ADD COLUMN case_hash UInt64 MATERIALIZED cityHash64(case_id);

-- Keys of events that may have more than one stored copy: found once, as the
-- events arrive, so a run need not group the whole history by key. A key here
-- is a hint (a hash collision only costs a few rows read); the copies
-- themselves decide which one is first.
CREATE TABLE IF NOT EXISTS event_duplicates (
    key_hash    UInt64,
    through_seq UInt64
) ENGINE = MergeTree
ORDER BY key_hash;

-- How far event_duplicates is complete: every key with two copies at or below
-- through_seq is in it. rows is the number of events at or below through_seq
-- then, so a table that was rebuilt is noticed and scanned again.
CREATE TABLE IF NOT EXISTS duplicate_scans (
    through_seq UInt64,
    rows        UInt64,
    at_ns       Int64
) ENGINE = MergeTree
ORDER BY through_seq;

-- The cases a run's explanations list, once each (not once per subject they
-- count for): misses, penalties and tolerated errors. A case counts for unit,
-- every unit above it in the run's tree, and cadre.
CREATE TABLE IF NOT EXISTS result_cases (
    run_id        String,
    case_kind     String,
    case_id       String,
    unit          String,
    cadre         String,
    late_response UInt8,
    unresolved    UInt8,
    dissatisfied  UInt8,
    overdue       UInt8,
    severity      String,
    points        Int64,
    tolerated     UInt8,
    decision_id   String
) ENGINE = MergeTree
ORDER BY (run_id, unit, case_kind, case_id);
