-- Models as data (SPEC §5 "The model file", docs/models.md). A run stores the
-- file of its model, so its results can be read without the file: one row per
-- file content (runs name it by model_sha256), written when a run starts; a
-- copy written twice is the same bytes, and readers take any one.
CREATE TABLE IF NOT EXISTS model_files (
    sha256     String,
    version    String,
    file       String,
    stored_ns  Int64
) ENGINE = ReplacingMergeTree
ORDER BY (sha256);
-- Partial credit and small-sample protection: satisfaction_num counts units
-- of 1/satisfaction_scale (a model crediting 0.9 counts tenths), and bit i of
-- insufficient marks case indicator i (response, resolution, satisfaction,
-- closure) as below the model's min_cases. Rows written before hold whole
-- cases and no mark.
ALTER TABLE scores ADD COLUMN satisfaction_scale Int64 DEFAULT 1;
ALTER TABLE scores ADD COLUMN insufficient UInt8 DEFAULT 0;
-- Peer groups and labels (models with peer_bands and labels): peer_band is
-- the subject's caseload band, within which rank and pos are counted; labels
-- are its labels as the rankings show them ([{"label","reason"}]). Both are
-- '' for a model without them, and the rankings then leave them out.
ALTER TABLE scores ADD COLUMN peer_band String DEFAULT '';
ALTER TABLE scores ADD COLUMN labels String DEFAULT '';
