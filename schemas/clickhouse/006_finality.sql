-- A finalisation names the run it froze (SPEC §5: the newest done run at that
-- moment, never one that finishes later), the model it is for (each model is
-- finalised separately) and how it came (explicit, or automatic once the grace
-- after the period's end has passed). Rows written before this migration have
-- no run_id: they are read by the rule they were written under
-- (scoring.FinalRun).
ALTER TABLE finalizations ADD COLUMN run_id String DEFAULT '';
ALTER TABLE finalizations ADD COLUMN model String DEFAULT '';
ALTER TABLE finalizations ADD COLUMN how String DEFAULT '';

-- The diff of a run against the run it is compared with (GET
-- /v1/runs/{id}/diff), stored the first time it is made: both runs never
-- change, so neither does their diff. body is the answer's JSON.
CREATE TABLE IF NOT EXISTS run_diffs (
    run_id  String,
    against String,
    body    String,
    at_ns   Int64
) ENGINE = MergeTree
ORDER BY (run_id, at_ns);
