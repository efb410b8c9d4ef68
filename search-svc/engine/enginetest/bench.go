package enginetest

import (
	"bufio"
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/relevance"
)

// BenchSynthetic measures an engine on synthetic movies:
// indexing rate, index size and memory once, then search latency (p50/p99)
// for 1-, 2- and 3-term queries that each carry one typo, with the last term
// matched as a prefix. Benchmarks only run with -bench, so `go test ./...`
// stays fast. SEARCH_BENCH_MOVIES sets the corpus size (default 1,000,000):
//
//	SEARCH_BENCH_MOVIES=1000000 go test ./engine/bleveengine ./engine/memengine \
//	    -run '^$' -bench Synthetic -benchtime 400x -timeout 2h
//
// open returns a new, empty engine and the directory or file it keeps its
// index in ("" for none), whose size is reported.
func BenchSynthetic(b *testing.B, open func(b *testing.B) (engine.Engine, string)) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SEARCH_BENCH_MOVIES")); err == nil && v > 0 {
		n = v
	}
	corpus := buildCorpus(b, n, open)
	b.Run("index", func(b *testing.B) {
		b.ReportMetric(corpus.rate, "movies/s")
		b.ReportMetric(corpus.sizeMB, "index-MB")
		b.ReportMetric(corpus.heapMB, "heap-MB")
		b.ReportMetric(corpus.peakRSSMB, "peak-RSS-MB")
		b.ReportMetric(float64(n), "movies")
		for range b.N {
		}
	})
	for terms := 1; terms <= 3; terms++ {
		b.Run(strconv.Itoa(terms)+"-term-typo", func(b *testing.B) {
			queries := corpus.queries(terms, 1000)
			lat := make([]time.Duration, 0, b.N)
			var hits int64
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				res, err := corpus.eng.Search(context.Background(), contract.SearchQuery{Text: queries[i%len(queries)], Limit: 20})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				hits += res.EstimatedTotal
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
			b.ReportMetric(float64(hits)/float64(b.N), "matches/query")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type corpus struct {
	eng                             engine.Engine
	rate, sizeMB, heapMB, peakRSSMB float64
	names                           [][]string
}

// buildCorpus indexes n synthetic movies in batches of 1000, each stored
// with its cursor as the indexer writes them.
func buildCorpus(b *testing.B, n int, open func(b *testing.B) (engine.Engine, string)) *corpus {
	eng, dir := open(b)
	gen := newGenerator(42)
	c := &corpus{eng: eng}
	start := time.Now()
	batch := make([]contract.Movie, 0, 1000)
	for id := 1; id <= n; id++ {
		m, words := gen.movie(int64(id))
		batch = append(batch, m)
		if id%50 == 0 {
			c.names = append(c.names, words)
		}
		if len(batch) == cap(batch) || id == n {
			if err := eng.Apply(context.Background(), engine.Batch{Upserts: batch, Cursor: int64(id)}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	c.rate = float64(n) / time.Since(start).Seconds()
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	c.heapMB = float64(mem.HeapInuse) / (1 << 20)
	c.peakRSSMB = peakRSSMB()
	if dir != "" {
		c.sizeMB = float64(dirSize(dir)) / (1 << 20)
	}
	b.Cleanup(func() { _ = eng.Close() })
	return c
}

// queries returns n queries of the given number of terms taken from indexed
// names, each with one typo in its longest term of at least five letters.
func (c *corpus) queries(terms, n int) []string {
	r := rand.New(rand.NewPCG(7, uint64(terms)))
	var out []string
	for len(out) < n {
		words := c.names[r.IntN(len(c.names))]
		if len(words) < terms {
			continue
		}
		start := r.IntN(len(words) - terms + 1)
		q := slices.Clone(words[start : start+terms])
		longest := 0
		for i, w := range q {
			if len(w) > len(q[longest]) {
				longest = i
			}
		}
		if len(q[longest]) < engine.MinWordSizeOneTypo {
			continue
		}
		q[longest] = relevance.Typo(r, q[longest])
		out = append(out, strings.Join(q, " "))
	}
	return out
}

// generator makes plausible movies: names of 1–5 words drawn from a
// vocabulary of pseudo-words with a Zipf distribution (a few words are very
// common, as "the" and "star" are), directors from name lists, 1–3 genres.
type generator struct {
	r         *rand.Rand
	zipf      *rand.Zipf
	vocab     []string
	first     []string
	last      []string
	genreList []string
}

func newGenerator(seed uint64) *generator {
	r := rand.New(rand.NewPCG(seed, seed))
	syll := []string{"ka", "ro", "mi", "tel", "an", "sor", "vin", "da", "el", "qua", "bri", "on", "ste", "lar", "gue", "po", "ther", "nix", "ma", "cor", "ul", "fen", "dra", "sil"}
	seen := map[string]bool{}
	var vocab []string
	for len(vocab) < 30000 {
		var sb strings.Builder
		for range 2 + r.IntN(3) {
			sb.WriteString(syll[r.IntN(len(syll))])
		}
		if w := sb.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	g := &generator{
		r: r, vocab: vocab,
		first:     []string{"George", "Sofia", "Akira", "Agnes", "Martin", "Kathryn", "Fritz", "Greta", "Satyajit", "Jane", "Orson", "Ida", "Wong", "Lina", "Pedro", "Chantal"},
		last:      []string{"Lucas", "Coppola", "Kurosawa", "Varda", "Scorsese", "Bigelow", "Lang", "Gerwig", "Ray", "Campion", "Welles", "Lupino", "Kar-wai", "Wertmuller", "Almodovar", "Akerman"},
		genreList: []string{"Drama", "Adventure", "Romance", "Thriller", "Comedy", "Action", "Sci-Fi", "Crime", "Family", "Mystery", "Fantasy", "Horror", "War", "Western", "Musical", "Animation"},
	}
	g.zipf = rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	return g
}

func (g *generator) movie(id int64) (contract.Movie, []string) {
	words := make([]string, 1+g.r.IntN(5))
	for i := range words {
		words[i] = g.vocab[g.zipf.Uint64()]
	}
	genres := make([]contract.Genre, 0, 3)
	for _, i := range g.r.Perm(len(g.genreList))[:1+g.r.IntN(3)] {
		genres = append(genres, contract.Genre{Name: g.genreList[i]})
	}
	title := make([]string, len(words))
	for i, w := range words {
		title[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return contract.Movie{
		ID:         id,
		Name:       strings.Join(title, " "),
		Director:   g.first[g.r.IntN(len(g.first))] + " " + g.last[g.r.IntN(len(g.last))],
		Popularity: contract.Float(float64(g.r.IntN(1001)) / 10),
		IMDBScore:  contract.Float(float64(g.r.IntN(101)) / 10),
		Genre:      genres,
	}, words
}

func dirSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// peakRSSMB reads the process's peak resident set (VmHWM) on Linux; 0
// elsewhere.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
