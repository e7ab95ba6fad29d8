// Package flagenv gives every flag of a service an environment variable to
// fall back on: the command line wins over the environment, the environment
// over the default (as VictoriaMetrics' envflag does, without globals).
package flagenv

import (
	"flag"
	"fmt"
	"io"
	"sort"
)

// Parse sets each flag named in env from its variable when that is not empty,
// then parses args over it. Usage lists every flag with its variable. A --help
// prints the usage to out and returns flag.ErrHelp.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, env map[string]string, about string, out io.Writer) error {
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s [flags]\n\n%s\nEvery flag falls back to its environment variable; the command line wins.\n\n", fs.Name(), about)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(out, "  --%s (env %s, default %q)\n    \t%s\n", f.Name, env[f.Name], f.DefValue, f.Usage)
		})
	}
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
	return fs.Parse(args)
}
