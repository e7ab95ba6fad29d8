package scoring

import (
	"testing"
	"time"

	"kaoping/pkg/period"
)

func TestFinalRun(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	p, _ := period.Parse("2026Q3", sh)
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	early := RunRef{"r1", at("2026-10-05T00:00:00+08:00")}
	later := RunRef{"r2", at("2026-10-10T00:00:00+08:00")}
	afterDate := RunRef{"r3", at("2026-11-20T00:00:00+08:00")}
	tests := []struct {
		name      string
		done      []RunRef
		finalized int64
		now       string
		want      string // "" = not final
	}{
		{"before the date: provisional", []RunRef{early}, 0, "2026-10-15T23:59:59+08:00", ""},
		{"15 days after the end: the newest run by then is frozen", []RunRef{afterDate, early, later}, 0, "2026-11-23T00:00:00+08:00", "r2"},
		{"no run yet: not final", nil, 0, "2026-11-23T00:00:00+08:00", ""},
		{"first run after the date is ordinary and becomes final", []RunRef{afterDate}, 0, "2026-11-23T00:00:00+08:00", "r3"},
		{"explicit finalisation freezes the newest run before it", []RunRef{early, later}, at("2026-10-07T00:00:00+08:00"), "2026-10-08T00:00:00+08:00", "r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FinalRun(p, tt.done, tt.finalized, at(tt.now))
			if (tt.want == "") == ok || got.ID != tt.want {
				t.Errorf("got %v %v, want %q", got, ok, tt.want)
			}
		})
	}
}

func TestFinalOfAndStatus(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	p, _ := period.Parse("2026Q3", sh)
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	r1 := RunRef{"r1", at("2026-10-05T00:00:00+08:00")}
	r2 := RunRef{"r2", at("2026-10-10T00:00:00+08:00")}
	r3 := RunRef{"r3", at("2026-11-20T00:00:00+08:00")}
	done := []RunRef{r1, r2, r3}
	now := at("2026-12-01T00:00:00+08:00")
	tests := []struct {
		name string
		fins []Finalization
		want string
	}{
		{"no finalisation: provisional, whatever the date", nil, ""},
		{"the run named is frozen, though newer ones are done", []Finalization{{AtNs: at("2026-10-12T00:00:00+08:00"), RunID: "r1"}}, "r1"},
		{"the earliest finalisation counts", []Finalization{{AtNs: at("2026-11-25T00:00:00+08:00"), RunID: "r3"}, {AtNs: at("2026-10-12T00:00:00+08:00"), RunID: "r2"}}, "r2"},
		{"one recorded before runs were named: the newest done run before it", []Finalization{{AtNs: at("2026-10-11T00:00:00+08:00")}}, "r2"},
		{"a finalisation after now does not count yet", []Finalization{{AtNs: at("2026-12-02T00:00:00+08:00"), RunID: "r3"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FinalOf(p, done, tt.fins, now)
			if (tt.want == "") == ok || got.ID != tt.want {
				t.Errorf("got %v %v, want %q", got, ok, tt.want)
			}
		})
	}
	if got := StatusOf(r3, r2, true); got != StatusCorrected {
		t.Errorf("a run after the final one = %s", got)
	}
	if got := StatusOf(r2, r2, true); got != StatusFinal {
		t.Errorf("the final run = %s", got)
	}
	if got := StatusOf(r1, r2, true); got != StatusProvisional {
		t.Errorf("a run before the final one = %s", got)
	}
	if got := StatusOf(r3, RunRef{}, false); got != StatusProvisional {
		t.Errorf("a period not final = %s", got)
	}
	if due := Due(p, FinalAfter); due != at("2026-10-16T00:00:00+08:00") {
		t.Errorf("due = %v", time.Unix(0, due))
	}
}
