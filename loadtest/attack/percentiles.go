package attack

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// percentilePage renders the latency of every endpoint by percentile, as an
// HdrHistogram-style chart: the x axis spreads the tail (50%, 90%, 99%,
// 99.9%, ...), the y axis is logarithmic, so one page shows a 1 ms median
// and a 300 ms p99.99 alike. Plain SVG: it opens anywhere, offline.
func percentilePage(s Summary, endpoints []string) string {
	const (
		width, height = 900.0, 480.0
		left, bottom  = 70.0, 50.0
		top, right    = 20.0, 170.0
	)
	series := append([]string{"all"}, endpoints...)
	value := func(name string, p string) float64 {
		st := s.Stats
		if name != "all" {
			st = s.Endpoints[name]
		}
		return st.Latency[p]
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, name := range series {
		for _, q := range Percentiles {
			v := math.Max(value(name, percentileName(q)), 0.01)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0.1, 1
	}
	yLo, yHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yHi == yLo {
		yHi++
	}
	xMax := -math.Log10(1 - Percentiles[len(Percentiles)-1])
	x := func(q float64) float64 { return left + (-math.Log10(1-q))/xMax*(width-left-right) }
	y := func(v float64) float64 {
		v = math.Max(v, 0.01)
		return top + (yHi-math.Log10(v))/(yHi-yLo)*(height-top-bottom)
	}
	colors := []string{"#000000", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>%s: latency by percentile</title>\n", html.EscapeString(nameOr(s.Name)))
	fmt.Fprintf(&b, "<h2 style='font-family:sans-serif'>%s: latency by percentile (%d requests, %.0f req/s achieved after the ramp)</h2>\n",
		html.EscapeString(nameOr(s.Name)), s.Requests, s.SteadyRate)
	fmt.Fprintf(&b, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif' font-size='12'>\n", width, height)
	for e := yLo; e <= yHi; e++ {
		fmt.Fprintf(&b, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%.1f' y='%.1f' text-anchor='end'>%s ms</text>\n",
			left, width-right, y(math.Pow(10, e)), y(math.Pow(10, e)), left-6, y(math.Pow(10, e))+4, trimFloat(math.Pow(10, e)))
	}
	for _, q := range Percentiles {
		fmt.Fprintf(&b, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%.1f' y='%.1f' text-anchor='middle'>%s</text>\n",
			x(q), x(q), top, height-bottom, x(q), height-bottom+18, trimFloat(q*100)+"%")
	}
	for i, name := range series {
		var pts []string
		for _, q := range Percentiles {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(q), y(value(name, percentileName(q)))))
		}
		w := 1.5
		if name == "all" {
			w = 3
		}
		c := colors[i%len(colors)]
		fmt.Fprintf(&b, "<polyline fill='none' stroke='%s' stroke-width='%.1f' points='%s'/>\n", c, w, strings.Join(pts, " "))
		fmt.Fprintf(&b, "<rect x='%.1f' y='%.1f' width='12' height='3' fill='%s'/><text x='%.1f' y='%.1f'>%s</text>\n",
			width-right+10, top+float64(i)*18+6, c, width-right+28, top+float64(i)*18+10, html.EscapeString(name))
	}
	b.WriteString("</svg>\n<table border=1 cellpadding=4 style='font-family:monospace;border-collapse:collapse'><tr><th>endpoint</th><th>requests</th>")
	for _, q := range Percentiles {
		fmt.Fprintf(&b, "<th>%s</th>", percentileName(q))
	}
	b.WriteString("<th>max</th></tr>\n")
	for _, name := range series {
		st := s.Stats
		if name != "all" {
			st = s.Endpoints[name]
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td>", html.EscapeString(name), st.Requests)
		for _, q := range Percentiles {
			fmt.Fprintf(&b, "<td>%.2f</td>", st.Latency[percentileName(q)])
		}
		fmt.Fprintf(&b, "<td>%.2f</td></tr>\n", st.Latency["max"])
	}
	b.WriteString("</table><p style='font-family:sans-serif'>Latencies in milliseconds. Latency over time: latency.html; every figure: summary.json.</p>\n")
	return b.String()
}

func trimFloat(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", f), ".0") }
