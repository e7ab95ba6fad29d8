package scoring

import "kaoping/pkg/event"

// Dedupe keeps one copy of every event (source, id): the first stored, by
// stream sequence then position, even when a later copy's body differs (SPEC
// §4). The store may hand over every copy it has; this is where they collapse.
func Dedupe(records []event.Record) []event.Record {
	type key struct{ source, id string }
	first := make(map[key]int, len(records))
	out := make([]event.Record, 0, len(records))
	for _, r := range records {
		k := key{r.Source, r.ID}
		i, seen := first[k]
		if !seen {
			first[k] = len(out)
			out = append(out, r)
			continue
		}
		if cur := out[i]; r.StreamSeq < cur.StreamSeq || (r.StreamSeq == cur.StreamSeq && r.MsgPos < cur.MsgPos) {
			out[i] = r
		}
	}
	return out
}
