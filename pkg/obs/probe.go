package obs

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Probe is a service's readiness: healthy once the process serves HTTP, ready
// only while every check it declared passes (NATS connected, ClickHouse open,
// the consumer making progress…), and not ready again once it is stopping.
// /readyz answers with the failing checks and their reasons.
type Probe struct {
	mu       sync.Mutex
	checks   map[string]string // check → "" when it passes, else why not
	stopping bool

	ready  prometheus.Gauge
	passes *prometheus.GaugeVec
}

// NewProbe registers kaoping_<service>_ready and
// kaoping_<service>_ready_check{check} on reg. Each named check starts
// failing with "starting" until Pass is called for it.
func NewProbe(reg prometheus.Registerer, service string, checks ...string) *Probe {
	p := &Probe{
		checks: map[string]string{},
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kaoping_" + service + "_ready",
			Help: "1 when the service is ready to serve, 0 while starting, stopping or while a dependency is away.",
		}),
		passes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kaoping_" + service + "_ready_check",
			Help: "1 while the readiness check passes (a dependency reachable, a consumer progressing), 0 while not.",
		}, []string{"check"}),
	}
	reg.MustRegister(p.ready, p.passes)
	for _, c := range checks {
		p.set(c, "starting")
	}
	return p
}

// Pass marks a check as passing.
func (p *Probe) Pass(check string) { p.set(check, "") }

// Fail marks a check as failing, with the reason /readyz gives.
func (p *Probe) Fail(check, reason string) {
	if reason == "" {
		reason = "failing"
	}
	p.set(check, reason)
}

// Set passes the check when err is nil, else fails it with err's text.
func (p *Probe) Set(check string, err error) {
	if err == nil {
		p.Pass(check)
		return
	}
	p.Fail(check, err.Error())
}

// Reporter returns a function that sets the check from an error, for the
// connectors that report a dependency's health (stream.Connect, store.Open).
func (p *Probe) Reporter(check string) func(error) {
	return func(err error) { p.Set(check, err) }
}

// Stopping marks the service as going away: not ready, whatever the checks.
func (p *Probe) Stopping() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	p.ready.Set(0)
}

func (p *Probe) set(check, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks[check] = reason
	if reason == "" {
		p.passes.WithLabelValues(check).Set(1)
	} else {
		p.passes.WithLabelValues(check).Set(0)
	}
	if p.readyLocked() {
		p.ready.Set(1)
	} else {
		p.ready.Set(0)
	}
}

func (p *Probe) readyLocked() bool {
	if p.stopping {
		return false
	}
	for _, reason := range p.checks {
		if reason != "" {
			return false
		}
	}
	return true
}

// Ready reports whether every check passes and the service is not stopping.
func (p *Probe) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readyLocked()
}

// Status is what /readyz answers: "ready", or "not ready" with the reason of
// each failing check ("stopping" while the service goes away).
type Status struct {
	Status  string            `json:"status"`
	Reasons map[string]string `json:"reasons,omitempty"`
}

// Status returns the probe's state.
func (p *Probe) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.readyLocked() {
		return Status{Status: "ready"}
	}
	s := Status{Status: "not ready", Reasons: map[string]string{}}
	names := make([]string, 0, len(p.checks))
	for name := range p.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r := p.checks[name]; r != "" {
			s.Reasons[name] = r
		}
	}
	if p.stopping {
		s.Reasons["service"] = "stopping"
	}
	return s
}
