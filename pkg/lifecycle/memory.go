package lifecycle

import "runtime/debug"

// SetMemoryLimit lets the heap grow to limitMiB before the collector runs,
// and to five times what is live below it. A service whose live heap is
// bounded by its own design (the aggregator's batches in flight, a scoring
// run's tallies) allocates far more than it keeps, and collecting every time
// the heap doubles costs it a fifth to a third of its CPU. 0 leaves Go's
// defaults; GOGC and GOMEMLIMIT, when set, win.
func SetMemoryLimit(limitMiB int, getenv func(string) string) {
	if limitMiB == 0 || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(limitMiB) << 20)
	debug.SetGCPercent(400)
}
