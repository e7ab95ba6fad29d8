// Package schemas embeds kaoping's contract files: the JSON Schema of every event
// type, the ClickHouse migrations and the scoring models. Code reads them from
// here so the files stay the single source of truth.
package schemas

import "embed"

// Events holds events/*.json: cloudevent.json (the envelope) and one schema per
// event type, named after the type.
//
//go:embed events/*.json
var Events embed.FS

// ClickHouse holds clickhouse/*.sql, the migrations in the order of their names.
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS

// Models holds models/*.yaml, one scoring model per version.
//
//go:embed models/*.yaml
var Models embed.FS

// ModelSchema is models/model.schema.json, the JSON Schema every model file
// is validated against when it is loaded (docs/models.md).
//
//go:embed models/model.schema.json
var ModelSchema []byte
