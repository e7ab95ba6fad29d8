package main

import (
	"net/http"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
)

// listModels answers GET /v1/models: the models the api can serve, those
// that runs were made with, each as a run names it (version and SHA-256: a
// version whose file changed is listed once per file) with its source, read
// from the file the runs stored. Pages use it to offer model=; the scorer's
// GET /v1/models lists what it can run.
func (h *handlers) listModels(w http.ResponseWriter, r *http.Request) {
	runs, err := h.store.RunModels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []scoring.Info{}
	for _, run := range runs {
		m, err := h.model(r.Context(), run)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		info := m.Info()
		info.SHA256 = run.ModelSHA256 // as the runs name it (empty for runs stored before hashes)
		out = append(out, info)
	}
	obs.WriteJSON(w, http.StatusOK, map[string]any{"default": scoring.DefaultVersion, "models": out})
}
