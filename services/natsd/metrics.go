package main

import (
	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the server's own monitoring state (varz and jsz) at each
// scrape: connections, traffic, and per stream and consumer the backlog.
type collector struct {
	ns *server.Server

	connections, slowConsumers                               *prometheus.Desc
	inMsgs, outMsgs, inBytes, outBytes                       *prometheus.Desc
	jsStorage, jsMemory                                      *prometheus.Desc
	streamMsgs, streamBytes, streamLastSeq                   *prometheus.Desc
	consumerPending, consumerAckPending, consumerRedelivered *prometheus.Desc
}

func newCollector(ns *server.Server) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("kaoping_natsd_"+name, help, labels, nil)
	}
	return &collector{
		ns:                  ns,
		connections:         d("connections", "Client connections open now."),
		slowConsumers:       d("slow_consumers_total", "Clients disconnected for being slow consumers."),
		inMsgs:              d("received_messages_total", "Messages received from clients."),
		outMsgs:             d("sent_messages_total", "Messages sent to clients."),
		inBytes:             d("received_bytes_total", "Payload bytes received from clients."),
		outBytes:            d("sent_bytes_total", "Payload bytes sent to clients."),
		jsStorage:           d("jetstream_storage_bytes", "Bytes JetStream holds in file storage."),
		jsMemory:            d("jetstream_memory_bytes", "Bytes JetStream holds in memory storage."),
		streamMsgs:          d("stream_messages", "Messages stored in the stream.", "stream"),
		streamBytes:         d("stream_bytes", "Bytes stored in the stream.", "stream"),
		streamLastSeq:       d("stream_last_sequence", "Sequence of the last message in the stream.", "stream"),
		consumerPending:     d("consumer_pending_messages", "Messages of the stream the consumer has not been delivered yet.", "stream", "consumer"),
		consumerAckPending:  d("consumer_ack_pending_messages", "Messages delivered to the consumer and not acknowledged yet.", "stream", "consumer"),
		consumerRedelivered: d("consumer_redelivered_messages", "Messages delivered to the consumer more than once and not acknowledged yet.", "stream", "consumer"),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.connections, c.slowConsumers, c.inMsgs, c.outMsgs, c.inBytes, c.outBytes,
		c.jsStorage, c.jsMemory, c.streamMsgs, c.streamBytes, c.streamLastSeq,
		c.consumerPending, c.consumerAckPending, c.consumerRedelivered,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	if v, err := c.ns.Varz(nil); err == nil {
		gauge(c.connections, float64(v.Connections))
		counter(c.slowConsumers, float64(v.SlowConsumers))
		counter(c.inMsgs, float64(v.InClientMsgs))
		counter(c.outMsgs, float64(v.OutClientMsgs))
		counter(c.inBytes, float64(v.InClientBytes))
		counter(c.outBytes, float64(v.OutClientBytes))
	}
	js, err := c.ns.Jsz(&server.JSzOptions{Accounts: true, Streams: true, Consumer: true})
	if err != nil || js.Disabled {
		return
	}
	gauge(c.jsStorage, float64(js.Store))
	gauge(c.jsMemory, float64(js.Memory))
	for _, acc := range js.AccountDetails {
		for _, s := range acc.Streams {
			gauge(c.streamMsgs, float64(s.State.Msgs), s.Name)
			gauge(c.streamBytes, float64(s.State.Bytes), s.Name)
			gauge(c.streamLastSeq, float64(s.State.LastSeq), s.Name)
			for _, ci := range s.Consumer {
				if ci == nil {
					continue
				}
				gauge(c.consumerPending, float64(ci.NumPending), s.Name, ci.Name)
				gauge(c.consumerAckPending, float64(ci.NumAckPending), s.Name, ci.Name)
				gauge(c.consumerRedelivered, float64(ci.NumRedelivered), s.Name, ci.Name)
			}
		}
	}
}
