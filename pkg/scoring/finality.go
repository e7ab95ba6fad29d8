package scoring

import (
	"sort"
	"time"

	"kaoping/pkg/period"
)

// FinalAfter is how long after its end a period becomes final by itself (SPEC §5).
const FinalAfter = 15 * 24 * time.Hour

// RunRef is a done run of a period: its id and the instant it was requested.
type RunRef struct {
	ID     string
	AsOfNs int64
}

// FinalRun returns the run a period is frozen at, as of nowNs, if the period is
// final by then. A period finalises itself FinalAfter its end, freezing the
// newest done run requested by then; a period with no run yet is not final, and
// its first run, whenever it comes, is an ordinary run that becomes the final
// one. finalizedNs > 0 is an explicit finalisation at that instant, which
// freezes the newest done run requested before it.
func FinalRun(p period.Period, done []RunRef, finalizedNs, nowNs int64) (RunRef, bool) {
	at := p.End.Add(FinalAfter).UnixNano()
	if finalizedNs > 0 && finalizedNs < at {
		at = finalizedNs
	}
	if nowNs < at || len(done) == 0 {
		return RunRef{}, false
	}
	runs := append([]RunRef(nil), done...)
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].AsOfNs != runs[j].AsOfNs {
			return runs[i].AsOfNs < runs[j].AsOfNs
		}
		return runs[i].ID < runs[j].ID
	})
	var final RunRef
	found := false
	for _, r := range runs {
		if r.AsOfNs <= at {
			final, found = r, true
		}
	}
	if !found {
		final = runs[0] // the first run after the date
	}
	if final.AsOfNs > nowNs {
		return RunRef{}, false
	}
	return final, true
}

// Finalization is one finalisation of a period for a model: when, the run it
// froze ("" for one recorded before finalisations named their run) and how it
// came (explicit or automatic).
type Finalization struct {
	AtNs  int64
	RunID string
	How   string
}

// How a period was finalised.
const (
	FinalizedExplicitly    = "explicit"
	FinalizedAutomatically = "automatic"
)

// FinalOf returns the run period p is frozen at, if it is final as of nowNs:
// the run its earliest finalisation named, and never a run that finished
// later (SPEC §5). A finalisation recorded before finalisations named their
// run is read by FinalRun's rule. A period without a finalisation is
// provisional, whatever the date: the scorer finalises a period once its
// grace has passed (Due), by running it once more and freezing that run.
func FinalOf(p period.Period, done []RunRef, fins []Finalization, nowNs int64) (RunRef, bool) {
	var first *Finalization
	for i := range fins {
		if f := &fins[i]; f.AtNs <= nowNs && (first == nil || f.AtNs < first.AtNs) {
			first = f
		}
	}
	switch {
	case first == nil:
		return RunRef{}, false
	case first.RunID == "":
		return FinalRun(p, done, first.AtNs, nowNs)
	}
	for _, r := range done {
		if r.ID == first.RunID {
			return r, true
		}
	}
	return RunRef{ID: first.RunID}, true
}

// Due is the instant a period finalises itself: grace after its end.
func Due(p period.Period, grace time.Duration) int64 { return p.End.Add(grace).UnixNano() }

// What a ranking says of the run it serves (SPEC §6 "status").
const (
	StatusProvisional = "provisional"
	StatusFinal       = "final"
	StatusCorrected   = "corrected"
)

// StatusOf says what the served run is to its period: the final run, a
// correction run after it, or a provisional run (of a period not final yet,
// or one from before its final run).
func StatusOf(served, final RunRef, isFinal bool) string {
	switch {
	case !isFinal:
		return StatusProvisional
	case served.ID == final.ID:
		return StatusFinal
	case served.AsOfNs > final.AsOfNs || (served.AsOfNs == final.AsOfNs && served.ID > final.ID):
		return StatusCorrected
	}
	return StatusProvisional
}
