-- Parts stored before 004 have no key_hash or case_hash on disk. ClickHouse
-- 18.16 computes a missing MATERIALIZED column when it reads the part, but not
-- in PREWHERE unless the columns it is computed from are read there too:
-- a run's `PREWHERE … case_hash IN (…)` fails on such a part with "Unknown
-- identifier: case_id". Merging every part once writes both columns. events
-- is a plain MergeTree: the merge keeps every copy of every event. On an
-- empty table (a new installation) this costs nothing; on a large one it
-- takes as long as rewriting the table once.
OPTIMIZE TABLE events FINAL;
