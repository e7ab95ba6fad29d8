package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/flagenv"
	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
)

// Config is every setting of the scorer.
type Config struct {
	HTTP       obs.HTTPConfig
	NATS       stream.Options
	ClickHouse store.Options
	// Tokens are the bearer tokens allowed to start and list runs.
	Tokens auth.Tokens
	// Model is the version of the default scoring model.
	Model string
	// ModelsDir holds model files (*.yaml) loaded beside the embedded ones.
	ModelsDir string
	// CheckModels loads the models, lists them and exits: a model's author
	// sees the file validated without starting a scorer.
	CheckModels bool
	// BarrierTimeout bounds a run's wait for the aggregator.
	BarrierTimeout time.Duration
	// RunWait is how long POST /v1/runs waits for the run to end.
	RunWait time.Duration
	// DuplicateScan is how often the index of duplicated events is brought
	// up to what the aggregator has stored.
	DuplicateScan time.Duration
	// PartitionRows is about the most rows one query of a run sorts.
	PartitionRows int
	// FinalAfter is the grace after a period's end before it finalises itself.
	FinalAfter time.Duration
	// FinalizeEvery is how often periods past their grace are finalised.
	FinalizeEvery time.Duration
	// Schedule is how often the open periods are run; 0 runs them only on request.
	Schedule time.Duration
	// MemoryLimitMiB is the Go heap the scorer lets grow before collecting
	// (a soft limit); 0 leaves Go's defaults.
	MemoryLimitMiB int
	// MaxRuns is the most runs in flight at once.
	MaxRuns int
	// Audit is how the audit log is written.
	Audit audit.Options
}

const about = "The scorer of kaoping: POST /v1/runs scores a period from ClickHouse with the model."

// parseConfig reads args (args[0] is the program name) over the environment
// over the defaults; with --help it prints every setting and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("scorer", flag.ContinueOnError)
	env := flagenv.Merge(
		c.HTTP.RegisterFlags(fs, "scorer", "addr", "127.0.0.1:8082"),
		c.NATS.RegisterFlags(fs),
		c.ClickHouse.RegisterFlags(fs),
		c.Tokens.RegisterFlags(fs),
		c.Audit.RegisterFlags(fs, "scorer"),
		map[string]string{
			"max-runs":        "KAOPING_SCORER_MAX_RUNS",
			"model":           "KAOPING_SCORER_MODEL",
			"models-dir":      "KAOPING_SCORER_MODELS_DIR",
			"check-models":    "KAOPING_SCORER_CHECK_MODELS",
			"barrier-timeout": "KAOPING_SCORER_BARRIER_TIMEOUT",
			"run-wait":        "KAOPING_SCORER_RUN_WAIT",
			"duplicate-scan":  "KAOPING_SCORER_DUPLICATE_SCAN",
			"partition-rows":  "KAOPING_SCORER_PARTITION_ROWS",
			"memory-limit":    "KAOPING_SCORER_MEMORY_LIMIT_MIB",
			"final-after":     "KAOPING_SCORER_FINAL_AFTER",
			"finalize-every":  "KAOPING_SCORER_FINALIZE_EVERY",
			"schedule":        "KAOPING_SCORER_SCHEDULE",
		})
	fs.StringVar(&c.Model, "model", "kp-2026.1", "the default scoring model: what POST /v1/runs uses when the body names none, and what the schedule runs")
	fs.StringVar(&c.ModelsDir, "models-dir", "", "a directory of model files (<version>.yaml, docs/models.md) loaded beside the built-in ones at start; a bad file stops the scorer")
	fs.BoolVar(&c.CheckModels, "check-models", false, "load the built-in models and those of --models-dir, print each one's version, SHA-256 and source, and exit (non-zero, naming the file and key, when one does not load)")
	fs.DurationVar(&c.BarrierTimeout, "barrier-timeout", 5*time.Minute, "longest a run waits for the aggregator to store the events acknowledged before it")
	fs.DurationVar(&c.RunWait, "run-wait", time.Minute, "how long POST /v1/runs waits for the run to end before answering with status running")
	fs.DurationVar(&c.DuplicateScan, "duplicate-scan", 10*time.Second, "how often the index of duplicated events is brought up to what the aggregator stored")
	fs.IntVar(&c.PartitionRows, "partition-rows", store.DefaultPartitionRows, "about the most rows one query of a run sorts; a bigger period is read in several partitions")
	fs.DurationVar(&c.FinalAfter, "final-after", scoring.FinalAfter, "grace after a period's end before it finalises itself (runs once more, then that run is frozen)")
	fs.DurationVar(&c.FinalizeEvery, "finalize-every", time.Minute, "how often periods past their grace are finalised")
	fs.DurationVar(&c.Schedule, "schedule", time.Hour, "how often the open month, quarter and year (and those in their grace) get a provisional run; 0: only on request")
	fs.IntVar(&c.MemoryLimitMiB, "memory-limit", 768, "MiB of Go heap the scorer lets grow before it collects (a soft limit, so a run spends little time collecting; 0: Go's defaults; GOGC and GOMEMLIMIT win when set)")
	fs.IntVar(&c.MaxRuns, "max-runs", 2, "most runs in flight at once; past it POST /v1/runs is answered 429 with Retry-After, and the schedule and the finaliser wait")
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return c, err
	}
	return c, c.check()
}

func (c Config) check() error {
	for _, err := range []error{c.HTTP.Check(), c.NATS.Check(), c.Audit.Check()} {
		if err != nil {
			return err
		}
	}
	switch {
	case c.BarrierTimeout <= 0:
		return fmt.Errorf("--barrier-timeout (KAOPING_SCORER_BARRIER_TIMEOUT) must be positive, got %s", c.BarrierTimeout)
	case c.RunWait < 0:
		return fmt.Errorf("--run-wait (KAOPING_SCORER_RUN_WAIT) must not be negative, got %s", c.RunWait)
	case c.DuplicateScan <= 0:
		return fmt.Errorf("--duplicate-scan (KAOPING_SCORER_DUPLICATE_SCAN) must be positive, got %s", c.DuplicateScan)
	case c.FinalAfter < 0:
		return fmt.Errorf("--final-after (KAOPING_SCORER_FINAL_AFTER) must not be negative, got %s", c.FinalAfter)
	case c.Schedule < 0:
		return fmt.Errorf("--schedule (KAOPING_SCORER_SCHEDULE) must not be negative, got %s", c.Schedule)
	case c.FinalizeEvery <= 0:
		return fmt.Errorf("--finalize-every (KAOPING_SCORER_FINALIZE_EVERY) must be positive, got %s", c.FinalizeEvery)
	case c.MemoryLimitMiB < 0:
		return fmt.Errorf("--memory-limit (KAOPING_SCORER_MEMORY_LIMIT_MIB) must not be negative, got %d", c.MemoryLimitMiB)
	case c.MaxRuns < 1:
		return fmt.Errorf("--max-runs (KAOPING_SCORER_MAX_RUNS) must be at least 1, got %d", c.MaxRuns)
	case c.PartitionRows <= 0:
		return fmt.Errorf("--partition-rows (KAOPING_SCORER_PARTITION_ROWS) must be positive, got %d", c.PartitionRows)
	}
	return nil
}
