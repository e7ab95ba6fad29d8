package aggregate

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	stored         prometheus.Counter
	deadLetters    prometheus.Counter
	redeliveries   prometheus.Counter
	batchMessages  prometheus.Histogram
	batchEvents    prometheus.Histogram
	insertDuration prometheus.Histogram
	insertErrors   prometheus.Counter
	lastSeq        prometheus.Gauge
	lag            prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_events_stored_total",
			Help: "Events (rows) inserted into ClickHouse; a redelivered message counts again."}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_dead_letters_total",
			Help: "Events sent to the dead-letter stream."}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_redeliveries_total",
			Help: "Messages delivered more than once (after a crash, or an AckWait that ran out)."}),
		batchMessages: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_aggregator_batch_messages",
			Help: "NATS messages per batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		batchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_aggregator_batch_events",
			Help: "Events per batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
		insertDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_aggregator_insert_duration_seconds",
			Help: "Time of one successful batch insert.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		insertErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_insert_errors_total",
			Help: "Failed batch inserts (each is retried)."}),
		lastSeq: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_aggregator_last_stream_sequence",
			Help: "Stream sequence of the last message acknowledged."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_aggregator_consumer_lag_messages",
			Help: "Messages of the stream not yet delivered to the aggregator."}),
	}
	reg.MustRegister(m.stored, m.deadLetters, m.redeliveries, m.batchMessages, m.batchEvents, m.insertDuration, m.insertErrors, m.lastSeq, m.lag)
	return m
}
