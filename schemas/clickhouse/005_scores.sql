-- One row per subject (unit or cadre of the period's tree) and run, placed
-- among all the peers of its level when the run ends (SPEC §5 "Ranking"): pos
-- is its place in the level's order (0 first; unscored subjects after the
-- scored, by id), rank and grade those of the whole level. The api reads the
-- rows of one page by (run_id, subject_kind, level, pos), so the table is
-- ordered by them, with small granules. Indicators are kept as numbers: the
-- case indicators' numerators and denominators, and the review score's shown
-- numerator and value ('' when nobody rated). path is the chain of unit ids
-- from the root to the subject's unit (a subtree is has(path, ID)). Rows of
-- runs before this table are in results.
CREATE TABLE IF NOT EXISTS scores (
    run_id              String,
    subject_kind        String,
    level               String,
    pos                 UInt32,
    subject             String,
    name                String,
    unit                String,
    path                Array(String),
    scored              UInt8,
    score_centi         Int64,
    rank                UInt32,
    grade               String,
    response_num        Int64,
    response_den        Int64,
    resolution_num      Int64,
    resolution_den      Int64,
    satisfaction_num    Int64,
    satisfaction_den    Int64,
    closure_num         Int64,
    closure_den         Int64,
    review_num          String,
    review_value        String,
    base                String,
    penalty_points      Int64,
    penalty             Int64,
    pending_responses   UInt32,
    pending_resolutions UInt32,
    pending_issues      UInt32
) ENGINE = MergeTree
ORDER BY (run_id, subject_kind, level, pos)
SETTINGS index_granularity = 1024;
