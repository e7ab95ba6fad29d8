package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

// TestRebuildFromTheStream runs `aggregator rebuild` twice while the live
// aggregator keeps consuming: the rankings afterwards are those of before,
// events refused at first are refused again (and not dead-lettered twice),
// a message kept in the stream though refused whole is met and skipped,
// and the rebuild reports its rate.
func TestRebuildFromTheStream(t *testing.T) {
	s := startStack(t)
	batches := crashQuarter()
	for _, b := range batches {
		s.sendUntilStored(b)
	}
	// Straight to NATS: a batch with one good and one bad event, and a
	// message refused whole (removed from the stream once dead-lettered).
	js := s.connectNATS()
	good := `{"specversion":"1.0","id":"x-good","source":"/sources/dev","type":"kaoping.complaint.responded","time":"2026-08-01T09:00:00+08:00","data":{"complaint_id":"K00001"}}`
	bad := `{"specversion":"1.0","id":"x-bad","source":"/sources/dev","type":"kaoping.complaint.responded","time":"2026-08-01T09:00:00+08:00","data":{"complaint_id":"K00002","phone":"1"}}`
	for _, m := range []*nats.Msg{
		{Subject: stream.SourceSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte("[" + good + "," + bad + "]")},
		{Subject: stream.SourceSubject("dev"), Data: []byte(`{"not":"an event"}`)},
		// One of ingest's this aggregator cannot read (a record form of a
		// later version): kept in the stream, which the rebuild meets.
		{Subject: stream.IngestSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaRecords}}, Data: []byte("\x7fa later form")},
	} {
		if _, err := js.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s.waitCaughtUp(30 * time.Second)
	s.runPeriod("2026Q3")
	before := s.rankingRows("2026Q3", "street")
	_, letters := s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil)

	for i := range 2 {
		cmd := exec.Command(filepath.Join(binaries(t), "aggregator"), "rebuild")
		cmd.Env = s.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rebuild %d: %v\n%s", i+1, err, out)
		}
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "rebuilt the events table") {
				line = l
			}
		}
		if !strings.Contains(line, "events/s") {
			t.Fatalf("rebuild %d said:\n%s", i+1, out)
		}
		t.Log(line)
		s.runPeriod("2026Q3")
		if after := s.rankingRows("2026Q3", "street"); after != before {
			t.Fatalf("rankings after rebuild %d differ:\n got %s\nwant %s", i+1, after, before)
		}
	}
	if _, again := s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil); string(again) != string(letters) {
		t.Errorf("the rebuild changed the dead letters:\n%s\n%s", again, letters)
	}
	if !strings.Contains(string(letters), "phone") || strings.Count(string(letters), `"reason"`) != 3 {
		t.Errorf("dead letters = %s", letters)
	}
}
