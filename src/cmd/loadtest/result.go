package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

// The targets of the issue, on the 2-core build machine.
const (
	targetJoinP99     = 20 * time.Millisecond
	targetRelayP99    = 5 * time.Millisecond
	targetRSSPerConn  = 48 << 10
	targetConnections = 10000
)

// result is what a run measured.
type result struct {
	cfg                            config
	mode, via                      string
	rooms, joined                  int
	joinPhase, relayPhase          time.Duration
	dial, join, relay              distribution
	sent, received, replies        int64
	rssBefore, rssJoined, rssAfter int64
	phases                         []phase
	errors                         map[string]int
}

// print writes the summary table.
func (r *result) print(out io.Writer) error {
	// The table is laid out in memory, where writes cannot fail, then written at once.
	var table strings.Builder
	w := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	row := func(what, value, target string) { fmt.Fprintf(w, "%s\t%s\t%s\n", what, value, target) }
	fmt.Fprintf(w, "live-webrtcsignaling load test against %s (server mode %q)\n", r.cfg.url, r.mode)
	row("", "measured", "target")
	row("connections joined", fmt.Sprintf("%d of %d, in %d rooms of %d-%d", r.joined, r.cfg.conns, r.rooms,
		r.cfg.roomMin, r.cfg.roomMax), verdict(r.joined >= targetConnections, fmt.Sprintf("%d", targetConnections)))
	row("join rate", rate(r.cfg.conns, r.joinPhase, r.cfg.joinRate), "500/s")
	row("dial + upgrade", r.dial.String(), "")
	row("join (join → joinR)", r.join.String(), verdict(r.join.P99 <= targetJoinP99, "p99 ≤ "+targetJoinP99.String()))
	row("relay rate", rate(int(r.sent), r.relayPhase, r.cfg.msgRate)+" via "+r.via, "5000/s")
	row("relayed", fmt.Sprintf("%d sent, %d received, %d lost, %d replies", r.sent, r.received, r.sent-r.received,
		r.replies), "")
	row("relay latency (send → event)", r.relay.String(),
		verdict(r.relay.P99 <= targetRelayP99, "p99 ≤ "+targetRelayP99.String()))
	if r.rssBefore >= 0 {
		row("server RSS", fmt.Sprintf("%s before, %s joined, %s after relaying", mib(r.rssBefore), mib(r.rssJoined),
			mib(r.rssAfter)), "")
		perConn := int64(-1)
		if r.joined > 0 {
			perConn = (r.rssJoined - r.rssBefore) / int64(r.joined)
		}
		row("server RSS per joined idle connection", fmt.Sprintf("%.1f KiB", float64(perConn)/1024),
			verdict(perConn >= 0 && perConn <= targetRSSPerConn, "≤ 48 KiB"))
	} else {
		row("server RSS", "not measured (no -pid)", "")
	}
	for _, p := range r.phases {
		if p.hasServer {
			row("server CPU, "+p.name, p.usage(p.server), "")
		}
		row("load tool CPU, "+p.name, p.usage(p.tool), "")
	}
	row("errors", errorCounts(r.errors), "")
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(out, table.String())
	return err
}

func (d distribution) String() string {
	if d.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (%d samples)", ms(d.P50), ms(d.P99), ms(d.Max), d.N)
}

// usage describes c, spent during the phase: cores used, CPU per operation, and the share of the time the process
// was ready to run but waited for a CPU (the machine's load, not the program's).
func (p phase) usage(c loadtool.CPUTime) string {
	if p.wall <= 0 {
		return "not measured"
	}
	out := fmt.Sprintf("%.2f core", c.Run.Seconds()/p.wall.Seconds())
	if p.ops > 0 {
		out += fmt.Sprintf(", %.0fµs per %s", float64(c.Run.Microseconds())/float64(p.ops), p.opName)
	}
	if c.Run+c.Wait > 0 {
		out += fmt.Sprintf(", waited for a CPU %.0f%% of its runnable time", 100*c.Wait.Seconds()/(c.Run+c.Wait).Seconds())
	}
	return out
}

func verdict(ok bool, target string) string {
	if ok {
		return target + ": met"
	}
	return target + ": NOT MET"
}

func rate(n int, took time.Duration, asked float64) string {
	if took <= 0 {
		return fmt.Sprintf("%d in no time (asked %.0f/s)", n, asked)
	}
	return fmt.Sprintf("%.0f/s (asked %.0f/s, %d in %s)", float64(n)/took.Seconds(), asked, n,
		took.Round(time.Millisecond))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// errorCounts lists the counts, most frequent first.
func errorCounts(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	names := make([]string, 0, len(errs))
	for name := range errs {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(errs[b]-errs[a], strings.Compare(a, b)) })
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%d× %s", errs[name], name)
	}
	return strings.Join(parts, "; ")
}
