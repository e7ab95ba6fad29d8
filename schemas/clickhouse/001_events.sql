-- Every event stored by the aggregator: typed columns extracted in Go beside the
-- raw JSON. Plain MergeTree on purpose: a duplicate (same source and id) may be
-- stored more than once, and every query keeps the first copy by stream order
-- (ORDER BY stream_seq, msg_pos LIMIT 1 BY source, id), which a
-- ReplacingMergeTree would not guarantee (it keeps the last).
CREATE TABLE IF NOT EXISTS events (
    source          String,
    id              String,
    type            String,
    time_ns         Int64,
    ingest_ns       Int64,
    stream_seq      UInt64,
    msg_pos         UInt32,
    case_id         String,
    period_ns       Int64,
    unit            String,
    cadre           String,
    name            String,
    level           String,
    parent          String,
    position        String,
    category        String,
    list            String,
    severity        String,
    reason          String,
    response_due_ns Int64,
    resolve_due_ns  Int64,
    due_ns          Int64,
    resolved        UInt8,
    rating          UInt8,
    decision_id     String,
    basis           String,
    summary         String,
    subject_kind    String,
    subject         String,
    review_period   String,
    rater_group     String,
    score           String,
    raw             String
) ENGINE = MergeTree
ORDER BY (type, case_id, source, id, stream_seq, msg_pos);
