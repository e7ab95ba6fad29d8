package deadletter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/services/aggregator/internal/deadletter"
)

// TestListSkipsReplayedLettersOnTheServer: a page after many replayed
// (deleted) letters holds the letters left, and costs the server one request
// per letter answered plus the stream's info, not one per sequence deleted.
func TestListSkipsReplayedLettersOnTheServer(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 1; i <= 500; i++ {
		if _, err := js.Publish(ctx, fmt.Sprintf("%s%d", stream.DeadLetterSubjectPrefix, i), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, stream.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(2); seq <= 497; seq++ {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	before, err := js.AccountInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	letters, total, err := deadletter.List(ctx, js, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	after, err := js.AccountInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || len(letters) != 3 || letters[0].Sequence != 1 || letters[1].Sequence != 498 || letters[2].Sequence != 499 {
		t.Fatalf("page = %v of %d, want 1, 498, 499 of 4", letters, total)
	}
	if string(letters[1].Body) != `{"n":498}` {
		t.Errorf("body %s", letters[1].Body)
	}
	// Stream lookup and info, three letters, and the account info itself.
	if calls := after.API.Total - before.API.Total; calls > 7 {
		t.Errorf("a page of 3 cost %d API requests", calls)
	}
	rest, _, err := deadletter.List(ctx, js, 499, 100)
	if err != nil || len(rest) != 1 || rest[0].Sequence != 500 {
		t.Errorf("next page = %v, %v; want 500 alone", rest, err)
	}
	if none, _, err := deadletter.List(ctx, js, 500, 100); err != nil || len(none) != 0 {
		t.Errorf("past the last = %v, %v", none, err)
	}
}
