package store

// SQL of stored model files (models.go). Parameters are bound (?).

const qInsertModelFile = `INSERT INTO model_files (sha256, version, file, stored_ns)`

// qModelFile returns a stored model file by its SHA-256 (copies are the same
// bytes: any one). Parameters: sha256.
const qModelFile = `SELECT file FROM model_files WHERE sha256 = ? LIMIT 1`

// qRunModels lists the models (version and file hash) that runs were made
// with. Parameters: none.
const qRunModels = `SELECT DISTINCT model, model_sha256 FROM runs ORDER BY model, model_sha256`
