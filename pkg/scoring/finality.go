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
