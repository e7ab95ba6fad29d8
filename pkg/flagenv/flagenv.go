// Package flagenv gives every flag of a service an environment variable to
// fall back on: the command line wins over the environment, the environment
// over the default (as VictoriaMetrics' envflag does, without globals).
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
)

// Env maps a flag's name to its environment variable.
type Env map[string]string

// Merge returns one Env of several: a service adds the shared settings'
// variables (store, stream, obs) to its own.
func Merge(envs ...map[string]string) Env {
	out := Env{}
	for _, e := range envs {
		maps.Copy(out, e)
	}
	return out
}

// Parse sets each flag named in env from its variable when that is not empty,
// then parses args (without the program name) over it. A --help or -h prints
// the usage, every flag with its variable and default, to out and returns
// flag.ErrHelp. Any other mistake returns one line that names the setting;
// nothing is printed. Arguments left after the flags are an error.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, env map[string]string, about string, out io.Writer) error {
	fs.SetOutput(io.Discard) // errors are returned, not printed with the usage
	fs.Usage = func() {}
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if fs.Lookup(name) == nil {
			return fmt.Errorf("flagenv: no flag %q for %s", name, env[name])
		}
		if v := getenv(env[name]); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", env[name], v, err)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			PrintUsage(out, fs, env, about)
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

// PrintUsage lists every flag of fs with its environment variable and default.
func PrintUsage(out io.Writer, fs *flag.FlagSet, env map[string]string, about string) {
	fmt.Fprintf(out, "Usage: %s [flags]\n\n%s\nEvery flag falls back to its environment variable; the command line wins.\n\n", fs.Name(), about)
	fs.VisitAll(func(f *flag.Flag) {
		v := env[f.Name]
		if v == "" {
			v = "none"
		}
		fmt.Fprintf(out, "  --%s (env %s, default %q)\n    \t%s\n", f.Name, v, f.DefValue, f.Usage)
	})
}
