package store_test

import (
	"context"
	"testing"

	"kaoping/pkg/event"
)

func copyOf(source, id string, seq uint64, pos uint32) event.Record {
	return event.Record{Source: source, ID: id, Type: event.TypeComplaintResponded, CaseID: "C", TimeNs: int64(seq), StreamSeq: seq, MsgPos: pos}
}

// TestDuplicateIndexFollowsTheStoredEvents: the index finds a copy stored
// after its first, scanning only what came since the last scan; a copy that
// appears below a scanned mark (the table was rebuilt) makes it scan the
// whole history again; FirstCopiesAt keeps the first copy once, whatever its
// body, and every event without copies, also inside one message.
func TestDuplicateIndexFollowsTheStoredEvents(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	insert := func(recs ...event.Record) {
		t.Helper()
		if err := s.InsertEvents(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	// c twice in one message: the second position is a copy.
	insert(copyOf("/h", "a", 1, 0), copyOf("/h", "b", 2, 0), copyOf("/h", "c", 3, 0), copyOf("/h", "c", 3, 1), copyOf("/h", "e", 3, 2))
	if scanned, err := s.CatchUpDuplicates(ctx, 3); err != nil || !scanned {
		t.Fatalf("first scan: %v %v", scanned, err)
	}
	// b again, later, naming another case; and an insert of seq 2 retried.
	late := copyOf("/h", "b", 5, 0)
	late.CaseID = "OTHER"
	insert(late, copyOf("/h", "d", 6, 0))
	if scanned, err := s.CatchUpDuplicates(ctx, 6); err != nil || !scanned {
		t.Fatalf("second scan: %v %v", scanned, err)
	}
	if scanned, err := s.CatchUpDuplicates(ctx, 6); err != nil || scanned {
		t.Fatalf("a scan with nothing new: %v %v", scanned, err)
	}
	first, err := s.FirstCopiesAt(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	keep := func(seq uint64, pos uint32) bool { return first.Keep(seq, pos) }
	if !keep(1, 0) || !keep(2, 0) || keep(5, 0) || !keep(6, 0) {
		t.Errorf("b's later copy kept, or another event dropped")
	}
	if !keep(3, 0) || keep(3, 1) || !keep(3, 2) {
		t.Errorf("one message holding c twice and e once: want c's first position and e kept, c's second dropped")
	}
	// A rebuild stores a's message again, below the scanned mark.
	insert(copyOf("/h", "a", 1, 0))
	if scanned, err := s.CatchUpDuplicates(ctx, 6); err != nil || !scanned {
		t.Fatalf("scan after a rebuild: %v %v", scanned, err)
	}
	first, err = s.FirstCopiesAt(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Keep(1, 0) || first.Keep(1, 0) {
		t.Errorf("a's two identical rows: want the first kept once")
	}
	if first.Keep(5, 0) {
		t.Errorf("b's later copy kept after the rescan")
	}
}
