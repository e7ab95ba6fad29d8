-- Explicit finalisations of a period (POST /v1/periods/{period}/finalize). The
-- earliest one counts; a later request changes nothing.
CREATE TABLE IF NOT EXISTS finalizations (
    period    String,
    at_ns     Int64,
    principal String
) ENGINE = MergeTree
ORDER BY (period, at_ns);
