package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"kaoping/pkg/stream"
)

// config is every setting of the simulator. Each comes from a flag, else from
// its KAOPING_ environment variable, else from its default: the command line wins.
type config struct {
	// Period is the canonical label of the period to generate (2026Q3, 2026-07,
	// 2026); empty means the last complete quarter.
	Period string
	// Seed makes the generated period reproducible: the same seed publishes
	// the same events with the same ids.
	Seed uint64
	// Complaints is the number of hotline complaints of a quarter (other
	// periods get as many per day).
	Complaints int
	// NATS is where the events are published to and how the streams the
	// simulator declares are sized (the shared settings of pkg/stream).
	NATS stream.Options
	// Chunk is how many events are published before waiting for their acks.
	Chunk int
	// Out is the directory the demo writes its downloads to.
	Out string
	// ScorerURL and APIURL are the base URLs of the scorer and the api.
	ScorerURL string
	APIURL    string
	// Token is the bearer token sent to the scorer and the api.
	Token string
	// RunTimeout bounds the wait for a scoring run to be done.
	RunTimeout time.Duration
	// PollInterval is how often the demo asks whether the run is done.
	PollInterval time.Duration
}

// flagSpec is one flag's environment variable and the commands that take it.
type flagSpec struct {
	name     string
	env      string
	commands []string
}

const (
	forAll        = "publish demo generate"
	forPublishing = "publish demo"
	forDemo       = "demo"
)

// register declares every flag on fs and returns them in the order --help lists them.
func (c *config) register(fs *flag.FlagSet) []flagSpec {
	var specs []flagSpec
	def := func(name, env, commands string) string {
		specs = append(specs, flagSpec{name: name, env: env, commands: strings.Fields(commands)})
		return name
	}
	fs.StringVar(&c.Period, def("period", "KAOPING_PERIOD", forAll), "",
		"period to generate: 2026Q3, 2026-07 or 2026 (default: the last complete quarter)")
	fs.Uint64Var(&c.Seed, def("seed", "KAOPING_SIMULATOR_SEED", forAll), 1,
		"seed of the street qualities and of every case")
	fs.IntVar(&c.Complaints, def("complaints", "KAOPING_SIMULATOR_COMPLAINTS", forAll), 30000,
		"hotline complaints per quarter (a month or a year gets as many per day)")
	shared := c.NATS.RegisterFlags(fs)
	for _, name := range []string{"nats-url", "stream-replicas", "duplicate-window"} {
		def(name, shared[name], forPublishing)
	}
	fs.IntVar(&c.Chunk, def("chunk", "KAOPING_SIMULATOR_CHUNK", forPublishing), 2000,
		"events published before waiting for their acks")
	fs.StringVar(&c.Out, def("out", "KAOPING_DEMO_OUT", forDemo), "out",
		"directory the downloads are written to")
	fs.StringVar(&c.ScorerURL, def("scorer-url", "KAOPING_SCORER_URL", forDemo), "http://127.0.0.1:8082",
		"base URL of the scorer")
	fs.StringVar(&c.APIURL, def("api-url", "KAOPING_API_URL", forDemo), "http://127.0.0.1:8080",
		"base URL of the api")
	fs.StringVar(&c.Token, def("token", "KAOPING_TOKEN", forDemo), "kaoping-dev-token",
		"bearer token sent to the scorer and the api")
	fs.DurationVar(&c.RunTimeout, def("run-timeout", "KAOPING_DEMO_RUN_TIMEOUT", forDemo), 5*time.Minute,
		"how long to wait for the scoring run to be done")
	fs.DurationVar(&c.PollInterval, def("poll-interval", "KAOPING_DEMO_POLL_INTERVAL", forDemo), time.Second,
		"how often to ask the scorer whether the run is done")
	return specs
}

// commands of the simulator, with one line each for --help.
var commands = []struct{ name, summary string }{
	{"publish", "generate a synthetic period for one district and publish it to JetStream through the SDK"},
	{"demo", "publish, run the scorer, print the street ranking and download the rankings into --out"},
	{"generate", "write the generated events to stdout, one CloudEvent (structured JSON) per line"},
}

// parseConfig reads the flags of command from args and fills what the command
// line left unset from the environment. After printing the command's help for
// -h or --help it returns flag.ErrHelp.
func parseConfig(command string, args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("simulator "+command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	specs := c.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, command)
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%s: unexpected arguments %q", command, fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range specs {
		takes := slices.Contains(s.commands, command)
		switch {
		case given[s.name] && !takes:
			return c, fmt.Errorf("%s does not take --%s", command, s.name)
		case given[s.name] || !takes:
		default:
			if v := getenv(s.env); v != "" {
				if err := fs.Set(s.name, v); err != nil {
					return c, fmt.Errorf("%s=%q: %w", s.env, v, err)
				}
			}
		}
	}
	switch {
	case c.Complaints < 0:
		return c, errors.New("--complaints must not be negative")
	case c.Chunk < 1:
		return c, errors.New("--chunk must be at least 1")
	case c.NATS.Check() != nil:
		return c, c.NATS.Check()
	case c.RunTimeout <= 0:
		return c, errors.New("--run-timeout must be positive")
	case c.PollInterval <= 0:
		return c, errors.New("--poll-interval must be positive")
	}
	return c, nil
}

// printUsage is the whole --help: the commands, then every flag with its
// environment variable, default and the commands that take it.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "simulator publishes a realistic synthetic period of kaoping events for one district.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: simulator <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "flags (a flag overrides its environment variable):")
	printFlags(w, "")
}

func printCommandUsage(w io.Writer, command string) {
	for _, c := range commands {
		if c.name == command {
			fmt.Fprintf(w, "usage: simulator %s [flags]\n\n%s\n\nflags (a flag overrides its environment variable):\n", command, c.summary)
		}
	}
	printFlags(w, command)
}

// printFlags lists the flags of command, or every flag when command is "".
func printFlags(w io.Writer, command string) {
	var c config
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	for _, s := range c.register(fs) {
		if command != "" && !slices.Contains(s.commands, command) {
			continue
		}
		f := fs.Lookup(s.name)
		def := f.DefValue
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "  --%s (env %s, default %s", s.name, s.env, def)
		if command == "" {
			fmt.Fprintf(w, "; %s", strings.Join(s.commands, ", "))
		}
		fmt.Fprintf(w, ")\n    \t%s", f.Usage)
		fmt.Fprintln(w)
	}
}
