package main

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Results of an event, the values of the result label.
const (
	resultAccepted  = "accepted"
	resultDuplicate = "duplicate"
	resultRejected  = "rejected"
)

// metrics are ingest's own series, registered on the injected registry.
type metrics struct {
	events          *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	publishFailures prometheus.Counter
	rateLimited     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kaoping_ingest_events_total",
			Help: "Events received over HTTP, by result: accepted (stored in JetStream), duplicate (already stored) or rejected (invalid or forbidden).",
		}, []string{"result"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kaoping_ingest_request_duration_seconds",
			Help:    "Time to answer POST /v1/events, by HTTP status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"code"}),
		publishFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kaoping_ingest_publish_failures_total",
			Help: "Requests answered 503 because JetStream did not acknowledge their events.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kaoping_ingest_rate_limited_requests_total",
			Help: "Requests answered 429 because their source sent more events per second than its rate limit.",
		}),
	}
	reg.MustRegister(m.events, m.requestDuration, m.publishFailures, m.rateLimited)
	// Every result is exported from the start, so rates work before the first event.
	for _, r := range []string{resultAccepted, resultDuplicate, resultRejected} {
		m.events.WithLabelValues(r)
	}
	return m
}
