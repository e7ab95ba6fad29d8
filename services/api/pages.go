package main

import (
	"container/list"
	"net/http"
	"strconv"
	"sync"

	"kaoping/services/api/internal/ranking"
)

// pageCache keeps encoded ranking rows. A run's results never change, so rows
// read once are served from memory until newer ones push them out (at most
// maxBytes): the street ranking every district opens costs ClickHouse one
// query per run, not one per reader.
type pageCache struct {
	mu       sync.Mutex
	maxBytes int
	size     int
	order    *list.List // front: most recently used
	items    map[pageKey]*list.Element
}

// pageKey names cached rows: a block of a level's placed rows (parent "",
// from a multiple of blockRows), or one page of a subtree's ranking.
type pageKey struct {
	run, subject, level, parent string
	from, to                    int
	// answer marks a whole ranking's answer (rows[0] is the body), given
	// when the served run had that status and its period that finality: a
	// provisional run keeps its status when the period is finalised on a
	// newer run, but its answer's "final" changes.
	answer bool
	status string
	final  bool
}

// cachedRows are encoded rows (one JSON object each) and the number of peers.
type cachedRows struct {
	key   pageKey
	rows  [][]byte
	total int
	size  int
}

// blockRows is how many placed rows are read and kept together: eight
// granules of table scores (1,024 rows each). A read of ClickHouse 18.16 costs
// some 10 ms whatever it reads, so a block of one granule (12.6 ms) made the
// first reads of a province's 300,000 cadres 290 queries that queued behind
// each other on 2 cores (p99 175–925 ms at 200 pages/s); a block of 8,192 rows
// costs about 38 ms, once, and the level is 37 of them.
const blockRows = 8192

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{maxBytes: maxBytes, order: list.New(), items: map[pageKey]*list.Element{}}
}

func (c *pageCache) get(k pageKey) (cachedRows, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return cachedRows{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(cachedRows), true
}

func (c *pageCache) put(p cachedRows) {
	for _, r := range p.rows {
		p.size += len(r) + 24
	}
	if p.size > c.maxBytes/4 {
		return // one entry would push out most others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[p.key]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.items[p.key] = c.order.PushFront(p)
	c.size += p.size
	for c.size > c.maxBytes {
		last := c.order.Back()
		old := last.Value.(cachedRows)
		c.order.Remove(last)
		delete(c.items, old.key)
		c.size -= old.size
	}
}

// encode turns rows into cached rows.
func encode(key pageKey, rows []ranking.Row, total int) cachedRows {
	out := cachedRows{key: key, rows: make([][]byte, len(rows)), total: total}
	for i, r := range rows {
		out.rows[i] = ranking.AppendRow(nil, r)
	}
	return out
}

// rankingBody is the body of rankingJSON around the encoded rows, as
// obs.WriteJSON would write it.
func rankingBody(body rankingJSON, paged bool, rows [][]byte, total int) []byte {
	size := 512
	for _, r := range rows {
		size += len(r) + 1
	}
	b := make([]byte, 0, size)
	str := func(key, v string) {
		b = append(b, `"`+key+`":`...)
		b = ranking.AppendString(b, v)
		b = append(b, ',')
	}
	b = append(b, '{')
	str("period", body.Period)
	str("model", body.Model)
	str("run_id", body.RunID)
	b = append(b, `"final":`...)
	b = strconv.AppendBool(b, body.Final)
	b = append(b, ',')
	str("status", body.Status)
	str("subject", body.Subject)
	str("level", body.Level)
	b = append(b, `"parent":`...)
	if body.Parent == nil {
		b = append(b, "null"...)
	} else {
		b = ranking.AppendString(b, *body.Parent)
	}
	if paged {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, int64(total), 10)
	}
	b = append(b, `,"rows":[`...)
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}\n"...)
}

// writeJSONBody answers an encoded JSON body.
func writeJSONBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// readOnce lets one reader read what several ask for at the same time.
type readOnce struct {
	mu    sync.Mutex
	calls map[pageKey]*readCall
}

type readCall struct {
	done chan struct{}
	rows cachedRows
	err  error
}

func (o *readOnce) do(k pageKey, read func() (cachedRows, error)) (cachedRows, error) {
	o.mu.Lock()
	if o.calls == nil {
		o.calls = map[pageKey]*readCall{}
	}
	if c, ok := o.calls[k]; ok {
		o.mu.Unlock()
		<-c.done
		return c.rows, c.err
	}
	c := &readCall{done: make(chan struct{})}
	o.calls[k] = c
	o.mu.Unlock()
	c.rows, c.err = read()
	o.mu.Lock()
	delete(o.calls, k)
	o.mu.Unlock()
	close(c.done)
	return c.rows, c.err
}
