package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/store"
)

// TestRunsArePaged: a page of a period's runs, oldest first, each in its
// newest state, with the number of runs (not of their states).
func TestRunsArePaged(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := range 7 {
		run := store.Run{ID: fmt.Sprintf("r%d", i), Period: "2026Q3", Model: "kp-2026.1", Kind: "ordinary", AsOfNs: at + int64(i),
			Status: store.StatusRunning, Counts: "{}", UpdatedNs: at + int64(i)}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		run.Status, run.UpdatedNs = store.StatusDone, at+100+int64(i)
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveRun(ctx, store.Run{ID: "other", Period: "2026Q2", Status: store.StatusDone, Counts: "{}", UpdatedNs: at}); err != nil {
		t.Fatal(err)
	}
	page, total, err := s.RunsPage(ctx, "2026Q3", "", 2, 3)
	if err != nil || total != 7 || len(page) != 3 {
		t.Fatalf("page = %d runs of %d, %v; want 3 of 7", len(page), total, err)
	}
	if page[0].ID != "r2" || page[2].ID != "r4" || page[0].Status != store.StatusDone {
		t.Errorf("page = %+v", page)
	}
	if _, total, err := s.RunsPage(ctx, "", "", 0, 100); err != nil || total != 8 {
		t.Errorf("every run: %d, %v", total, err)
	}
	if page, total, err := s.RunsPage(ctx, "2026Q3", "", 7, 3); err != nil || total != 7 || len(page) != 0 {
		t.Errorf("past the end: %d of %d, %v", len(page), total, err)
	}
}
