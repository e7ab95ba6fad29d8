-- Scoring runs. A run's state changes by appending a row (running, then done or
-- failed); the newest row by updated_ns is its state. Nothing is overwritten.
CREATE TABLE IF NOT EXISTS runs (
    run_id       String,
    period       String,
    model        String,
    model_sha256 String,
    kind         String,
    as_of_ns     Int64,
    high_water   UInt64,
    status       String,
    error        String,
    counts       String,
    updated_ns   Int64
) ENGINE = MergeTree
ORDER BY (period, run_id, updated_ns);

-- One row per subject (unit or cadre of the period's tree) and run. path is the
-- chain of unit ids from the root to the subject's unit, so a subtree is
-- has(path, ID). detail is the explanation as JSON.
CREATE TABLE IF NOT EXISTS results (
    run_id       String,
    period       String,
    subject_kind String,
    subject      String,
    name         String,
    level        String,
    unit         String,
    path         Array(String),
    scored       UInt8,
    score_centi  Int64,
    detail       String
) ENGINE = MergeTree
ORDER BY (run_id, subject_kind, subject);

-- Every read of rankings, explanations or reports: who, what, when.
CREATE TABLE IF NOT EXISTS audit_log (
    at_ns     Int64,
    principal String,
    method    String,
    path      String,
    query     String,
    status    UInt16
) ENGINE = MergeTree
ORDER BY at_ns;
