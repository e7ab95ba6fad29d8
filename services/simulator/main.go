// Command simulator publishes a realistic synthetic period of kaoping events for
// one district (its org tree, hotline complaints, problem lists, errors and
// review ratings) through the SDK, and drives the demo: publish, score, print
// the street ranking and download the rankings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/lifecycle"
	"kaoping/pkg/period"
	"kaoping/services/simulator/internal/district"
)

func main() { lifecycle.Main("simulator", run) }

// run is the whole program: args[0] is the program name, args[1] the command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) < 2 {
		printUsage(stdout)
		return errors.New("no command given")
	}
	command := args[1]
	switch command {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return flag.ErrHelp
	case "publish", "demo", "generate":
	default:
		printUsage(stdout)
		return fmt.Errorf("unknown command %q", command)
	}
	cfg, err := parseConfig(command, args[2:], getenv, stdout)
	if err != nil {
		return err
	}
	now := time.Now()
	p, err := resolvePeriod(cfg.Period, now)
	if err != nil {
		return err
	}
	d, err := district.Generate(district.Config{Seed: cfg.Seed, Period: p, Now: now, Complaints: cfg.Complaints})
	if err != nil {
		return err
	}
	switch command {
	case "generate":
		return writeEvents(ctx, stdout, d)
	case "publish":
		_, err := publishDistrict(ctx, cfg, d, stdout)
		return err
	default:
		return runDemo(ctx, cfg, d, stdout)
	}
}

// timeZone is the model's default time zone (SPEC §5); periods are read in it.
const timeZone = "Asia/Shanghai"

// resolvePeriod reads label, or picks the last complete quarter before now.
func resolvePeriod(label string, now time.Time) (period.Period, error) {
	loc, err := time.LoadLocation(timeZone)
	if err != nil {
		return period.Period{}, fmt.Errorf("time zone %s: %w", timeZone, err)
	}
	if label == "" {
		label = lastCompleteQuarter(now.In(loc))
	}
	return period.Parse(label, loc)
}

// lastCompleteQuarter is the label of the quarter before the one now is in.
func lastCompleteQuarter(now time.Time) string {
	q := (int(now.Month())-1)/3 + 1
	y := now.Year()
	if q == 1 {
		return fmt.Sprintf("%dQ4", y-1)
	}
	return fmt.Sprintf("%dQ%d", y, q-1)
}
