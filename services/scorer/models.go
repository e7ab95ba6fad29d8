package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/services/scorer/internal/runner"
)

// loadModels reads the built-in models and every *.yaml in dir (SPEC §5: a
// user adds a model without a rebuild). A file that does not load stops the
// scorer with the reason naming the file and key; a file may not take the
// version of a built-in model or of another file, so a run's version always
// names one file.
func loadModels(dir string) ([]*scoring.Model, error) {
	models, err := scoring.EmbeddedModels()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return models, nil
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	sort.Strings(names)
	builtIn := map[string]bool{}
	for _, m := range models {
		builtIn[m.Version] = true
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m, err := scoring.ParseModelFile(filepath.Base(name), b)
		if err != nil {
			return nil, err
		}
		if builtIn[m.Version] {
			return nil, fmt.Errorf("model %s: version %s is built in; give the file a version of its own", filepath.Base(name), m.Version)
		}
		models = append(models, m)
	}
	return models, nil
}

// modelParam is the model a request names, or the scorer's default when it
// names none; an unknown one is the client's mistake.
func modelParam(r *runner.Runner, version string) (*scoring.Model, error) {
	if version == "" {
		return r.Model(), nil
	}
	m, ok := r.ModelOf(version)
	if !ok {
		var known []string
		for _, x := range r.Models() {
			known = append(known, x.Version)
		}
		return nil, fmt.Errorf("unknown model %q (loaded: %s)", version, strings.Join(known, ", "))
	}
	return m, nil
}

// modelJSON is a model as GET /v1/models lists it.
type modelJSON struct {
	scoring.Info
	Default bool `json:"default"`
}

// listModels answers GET /v1/models with {"default","models":[{"version",
// "sha256","source","default"}]}, sorted by version.
func listModels(r *runner.Runner) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		out := []modelJSON{}
		for _, m := range r.Models() {
			out = append(out, modelJSON{Info: m.Info(), Default: m.Version == r.Model().Version})
		}
		obs.WriteJSON(w, http.StatusOK, map[string]any{"default": r.Model().Version, "models": out})
	}
}
