package main

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/testkit"
)

// TestXLSXOpensInLibreOffice: LibreOffice Calc, headless, converts the
// ranking download and the report's workbook to CSV, and the cells are those
// the api wrote, as shown (Chinese headers, number formats).
func TestXLSXOpensInLibreOffice(t *testing.T) {
	soffice := testkit.RequireProgram(t, "soffice", "libreoffice-calc")
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	dir := t.TempDir()
	convert := func(path string) [][]string {
		t.Helper()
		name := strings.TrimSuffix(filepath.Base(path), ".xlsx")
		// 44,34,76: comma, double quote, UTF-8.
		cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore",
			"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", dir, path)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatal("soffice took longer than 2 minutes")
		}
		if err != nil {
			t.Fatalf("soffice: %v\n%s", err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, name+".csv"))
		if err != nil {
			t.Fatalf("%v (soffice said %s)", err, out)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	fetch := func(url, name string) string {
		t.Helper()
		code, _, body := f.get(url)
		if code != 200 {
			t.Fatalf("%s = %d %s", url, code, body)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	recs := convert(fetch("/v1/rankings?period=2026Q2&level=street&format=xlsx", "ranking.xlsx"))
	if len(recs) != 13 || strings.Join(recs[0][:6], ",") != "排名,编号,名称,得分,等级,及时响应率" ||
		strings.Join(recs[1][:6], ",") != "1,s01,街道 s01,95.00,优秀,0.5000" || strings.Join(recs[12][:5], ",") != "12,s12,街道 s12,84.00,良好" {
		t.Errorf("LibreOffice reads the ranking as %q", recs)
	}
	recs = convert(fetch("/v1/reports/review?unit=s02&period=2026Q2&format=xlsx", "report.xlsx"))
	if len(recs) < 7 || strings.Join(recs[0][:5], ",") != "指标,分子/分母,本单位,同级中位数,同级最好" || strings.Join(recs[1][:5], ",") != "及时响应率,1/2,0.5000,0.5000,0.5000" ||
		strings.Join(recs[6][:5], ",") != "得分,,94.00,89.50,95.00" {
		t.Errorf("LibreOffice reads the report as %q", recs)
	}
}
