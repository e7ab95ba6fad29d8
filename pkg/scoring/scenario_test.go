package scoring

import (
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// scenario builds events the way the stream would hold them: each added event
// is validated by the real validator and gets the next stream sequence.
type scenario struct {
	t       *testing.T
	v       *event.Validator
	seq     uint64
	records []event.Record
}

var validator = func() *event.Validator {
	v, err := event.NewValidator()
	if err != nil {
		panic(err)
	}
	return v
}()

func newScenario(t *testing.T) *scenario {
	t.Helper()
	s := &scenario{t: t, v: validator}
	// The org tree used by most cases: district d > streets s1, s2, s3 >
	// communities; cadres k1 (in s1.c1), k2 (in s2.c1).
	s.unit("d", "南湖区", "district", "", "2026-01-01T00:00:00+08:00")
	s.unit("s1", "建设街道", "street", "d", "2026-01-01T00:00:00+08:00")
	s.unit("s2", "解放街道", "street", "d", "2026-01-01T00:00:00+08:00")
	s.unit("s3", "新嘉街道", "street", "d", "2026-01-01T00:00:00+08:00")
	s.unit("s1.c1", "东栅社区", "community", "s1", "2026-01-01T00:00:00+08:00")
	s.unit("s1.c2", "南溪社区", "community", "s1", "2026-01-01T00:00:00+08:00")
	s.unit("s2.c1", "北湖社区", "community", "s2", "2026-01-01T00:00:00+08:00")
	s.cadre("k1", "张伟", "s1.c1", "社区书记", "2026-01-01T00:00:00+08:00")
	s.cadre("k2", "李娜", "s2.c1", "社区主任", "2026-01-01T00:00:00+08:00")
	return s
}

func (s *scenario) add(source, id, typ, at string, data map[string]any) {
	s.t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		s.t.Fatal(err)
	}
	s.seq++
	if id == "" {
		id = fmt.Sprintf("e%d", s.seq)
	}
	e, err := event.New(s.v, source, id, typ, tm, data)
	if err != nil {
		s.t.Fatalf("event %s %s: %v", typ, id, err)
	}
	r, err := event.ToRecord(e, s.seq, 0, tm)
	if err != nil {
		s.t.Fatal(err)
	}
	s.records = append(s.records, r)
}

func (s *scenario) unit(id, name, level, parent, at string) {
	d := map[string]any{"unit": id, "name": name, "level": level}
	if parent != "" {
		d["parent"] = parent
	}
	s.add("/org", "", event.TypeUnitUpserted, at, d)
}

func (s *scenario) cadre(id, name, unit, position, at string) {
	s.add("/org", "", event.TypeCadreUpserted, at, map[string]any{"cadre": id, "name": name, "unit": unit, "position": position})
}

// assign assigns complaint id at `at` with response due 2h and resolve due 7 days later.
func (s *scenario) assign(id, at, unit, cadre string) {
	tm, _ := time.Parse(time.RFC3339, at)
	d := map[string]any{"complaint_id": id, "unit": unit, "category": "property",
		"response_due": tm.Add(2 * time.Hour).Format(time.RFC3339), "resolve_due": tm.Add(7 * 24 * time.Hour).Format(time.RFC3339)}
	if cadre != "" {
		d["cadre"] = cadre
	}
	s.add("/hotline", "", event.TypeComplaintAssigned, at, d)
}

func (s *scenario) respond(id, at string) {
	s.add("/hotline", "", event.TypeComplaintResponded, at, map[string]any{"complaint_id": id})
}

func (s *scenario) resolve(id, at string, ok bool) {
	s.add("/hotline", "", event.TypeComplaintResolved, at, map[string]any{"complaint_id": id, "resolved": ok})
}

func (s *scenario) rate(id, at string, rating int) {
	s.add("/hotline", "", event.TypeComplaintRated, at, map[string]any{"complaint_id": id, "rating": rating})
}

func (s *scenario) reopen(id, at string) {
	s.add("/hotline", "", event.TypeComplaintReopened, at, map[string]any{"complaint_id": id, "reason": "复诉"})
}

func (s *scenario) exclude(id, at string) {
	s.add("/hotline", "", event.TypeComplaintExcluded, at, map[string]any{"complaint_id": id, "reason": "unreasonable"})
}

func (s *scenario) list(id, at, unit, severity, due string) {
	s.add("/supervision", "", event.TypeIssueListed, at, map[string]any{"issue_id": id, "list": "inspection", "severity": severity, "unit": unit, "due": due})
}

func (s *scenario) closeIssue(id, at string) {
	s.add("/supervision", "", event.TypeIssueClosed, at, map[string]any{"issue_id": id})
}

func (s *scenario) reopenIssue(id, at string) {
	s.add("/supervision", "", event.TypeIssueReopened, at, map[string]any{"issue_id": id, "reason": "整改不到位"})
}

func (s *scenario) recordError(id, at, unit, cadre, severity string) {
	d := map[string]any{"error_id": id, "unit": unit, "severity": severity, "summary": "程序瑕疵"}
	if cadre != "" {
		d["cadre"] = cadre
	}
	s.add("/discipline", "", event.TypeErrorRecorded, at, d)
}

func (s *scenario) tolerate(id, at string) {
	s.add("/discipline", "", event.TypeErrorTolerated, at, map[string]any{"error_id": id, "decision_id": "D-" + id, "basis": "先行先试"})
}

func (s *scenario) review(id, at, kind, subject, label, group string, score any) {
	s.add("/review", "", event.TypeReviewRated, at, map[string]any{"review_id": id, "subject_kind": kind, "subject": subject, "period": label, "rater_group": group, "score": score})
}

// rule is one rule or trap of SPEC §5 as a table case. want maps a subject (a
// unit id, or "cadre:<id>") to what must hold: an indicator name → "num/den",
// and "score" → the rounded score or "-" for no score. period defaults to
// 2026Q3 and asOf to a time when every Q3 deadline has passed.
type rule struct {
	name   string
	period string
	asOf   string
	build  func(s *scenario)
	want   map[string]map[string]string
}

// checkRules runs each rule as a subtest on a fresh scenario.
func checkRules(t *testing.T, tests []rule) {
	t.Helper()
	const asOf = "2026-11-01T00:00:00+08:00" // every Q3 deadline has passed
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			tt.build(s)
			label, at := tt.period, tt.asOf
			if label == "" {
				label = "2026Q3"
			}
			if at == "" {
				at = asOf
			}
			got := s.evaluate(label, at)
			for subject, checks := range tt.want {
				r, ok := got[subject]
				if !ok {
					t.Errorf("%s: no result", subject)
					continue
				}
				for what, want := range checks {
					var have string
					if what == "score" {
						have = score(r)
					} else {
						have = fraction(r, what)
					}
					if have != want {
						t.Errorf("%s %s = %s, want %s", subject, what, have, want)
					}
				}
			}
		})
	}
}

func mustModel(t testing.TB) *Model {
	t.Helper()
	m, err := LoadModel(DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (s *scenario) evaluate(label, asOf string) map[string]Result {
	s.t.Helper()
	m := mustModel(s.t)
	p, err := period.Parse(label, m.Location)
	if err != nil {
		s.t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, asOf)
	if err != nil {
		s.t.Fatal(err)
	}
	ev := Evaluate(m, p, at.UnixNano(), s.records)
	out := map[string]Result{}
	for _, r := range ev.Units {
		out[r.ID] = r
	}
	for _, r := range ev.Cadres {
		out["cadre:"+r.ID] = r
	}
	return out
}

// fraction renders an indicator as "num/den".
func fraction(r Result, name string) string {
	f := r.Detail.Indicators[name]
	return f.Num + "/" + f.Den
}

func score(r Result) string {
	if !r.Scored {
		return "-"
	}
	return FormatCenti(r.ScoreCenti)
}
