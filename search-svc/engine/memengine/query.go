package memengine

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/vellum"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// maxCachedExpansions bounds the term ids kept per index for a typo or a
// long prefix: walking the dictionary again finds the same ones until the
// next rebuild makes a new index.
const maxCachedExpansions = 512

// typoAutomata hands out the typo matchers searches walk the dictionary
// with. A matcher's arenas grow to a search's needs and are kept for the
// next one, so typo matching allocates nothing once warm; the pool is the
// engine's, not global, so engines share no state.
type typoAutomata struct {
	matchers sync.Pool // of *typoMatcher
}

func newTypoAutomata() *typoAutomata {
	return &typoAutomata{matchers: sync.Pool{New: func() any { return new(typoMatcher) }}}
}

// matcher is a matcher for words within typos of t; release it after.
func (a *typoAutomata) matcher(t string, typos int) *typoMatcher {
	m := a.matchers.Get().(*typoMatcher)
	m.reset(t, typos)
	return m
}

func (a *typoAutomata) release(m *typoMatcher) { a.matchers.Put(m) }

// expansionKey names the dictionary terms a query term stands for: those
// within its typo budget (by distance), or those it is a prefix of.
type expansionKey struct {
	term   string
	prefix bool
}

// expansion is the term ids of the dictionary an expansionKey matches, per
// typo count (prefix expansions use [0]). Shared through the cache: never
// appended to in place.
type expansion [3][]uint32

// termMatch is where one query term matches, by typo count: level[0] holds
// exact matches (and prefix matches for the last term), level[d] the docs
// matching with d typos, per field. The per-field bitmaps are the index's
// own (or unions made for this query): ranking only intersects them with
// smaller sets and never merges or copies them, which is what a search's
// CPU went to (clones and unions of bitmaps of tens of thousands of docs,
// and the GC they caused).
type termMatch struct {
	level [3][numFields]*roaring.Bitmap
	exact [numFields]*roaring.Bitmap // the word itself, no prefix
}

// anyLevel is every bitmap the term matches in: the docs of any of them.
func (tm *termMatch) anyLevel() anyOf {
	var out anyOf
	for d := range tm.level {
		for _, b := range tm.level[d] {
			if b != nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// within is the docs of x matching the term at level d in any field, a new
// bitmap no larger than x.
func (tm *termMatch) within(x *roaring.Bitmap, d int) *roaring.Bitmap {
	return anyOf(tm.level[d][:]).and(x)
}

// atLevel is the docs of x, a set of candidates, to take the term's lower
// levels out of to leave those matching it with d typos and not fewer: x ∩
// level d, or at the term's last level x itself (read-only), as every
// candidate matches every term at some level; no intersection is made.
func (tm *termMatch) atLevel(x *roaring.Bitmap, d int) *roaring.Bitmap {
	for e := d + 1; e < len(tm.level); e++ {
		if anyOf(tm.level[e][:]).members() > 0 {
			return tm.within(x, d)
		}
	}
	return x
}

// without is x less the docs of sub: in x's place when x is a set made
// for the caller, or a new bitmap when x is shared (still the set it was
// made from).
func without(x, shared, sub *roaring.Bitmap) *roaring.Bitmap {
	if x == shared {
		return roaring.AndNot(x, sub)
	}
	x.AndNot(sub)
	return x
}

// narrow keeps in x, the caller's own, the docs matching the term at
// level d in any field.
func (tm *termMatch) narrow(x *roaring.Bitmap, d int) {
	anyOf(tm.level[d][:]).narrow(x)
}

// namedUpTo is the docs matching the term in the name with at most d typos.
func (tm *termMatch) namedUpTo(d int) anyOf {
	named := make(anyOf, 0, 3)
	for e := 0; e <= d; e++ {
		named = append(named, tm.level[e][fieldName])
	}
	return named
}

// onlyInName reports whether the term matches at level d in the name and
// no other field, so the docs matching it there all match in the name.
func (tm *termMatch) onlyInName(d int) bool {
	for f, b := range tm.level[d] {
		if f != fieldName && b != nil {
			return false
		}
	}
	return true
}

// anyOf is the docs in any of its bitmaps (nil ones hold none), kept
// unmerged: intersecting each with a smaller set is cheaper than the union.
type anyOf []*roaring.Bitmap

// members is how many of a's bitmaps are not nil.
func (a anyOf) members() int {
	n := 0
	for _, b := range a {
		if b != nil {
			n++
		}
	}
	return n
}

// estimate is an upper bound of how many docs a holds.
func (a anyOf) estimate() uint64 {
	var n uint64
	for _, b := range a {
		if b != nil {
			n += b.GetCardinality()
		}
	}
	return n
}

// and returns x ∩ a as a new bitmap; x is left alone. With several
// members that together hold at least as many docs as x, most of x likely
// stays: x is copied and narrowed in place, which allocates x's size once
// rather than a bitmap per member and their merge.
func (a anyOf) and(x *roaring.Bitmap) *roaring.Bitmap {
	if a.members() > 1 && a.estimate() >= x.GetCardinality() {
		out := x.Clone()
		a.narrow(out)
		return out
	}
	var out *roaring.Bitmap
	for _, b := range a {
		if b == nil {
			continue
		}
		if out == nil {
			out = roaring.And(x, b)
		} else {
			out.Or(roaring.And(x, b))
		}
	}
	if out == nil {
		return roaring.New()
	}
	return out
}

// narrow keeps in x, the caller's own, the docs of a, in x's place:
// roaring's AndAny ORs a key's containers in one reused scratch container,
// where and makes a bitmap per member and a merged one.
func (a anyOf) narrow(x *roaring.Bitmap) {
	members := make([]*roaring.Bitmap, 0, len(a))
	for _, b := range a {
		if b != nil {
			members = append(members, b)
		}
	}
	if len(members) == 0 {
		x.Clear()
		return
	}
	x.AndAny(members...)
}

// merged is the docs of a: the bitmap itself when a has one, so the result
// is read-only, else a new one.
func (a anyOf) merged() *roaring.Bitmap {
	if len(a) == 1 && a[0] != nil {
		return a[0]
	}
	return a.union()
}

// union returns the docs of a as a new bitmap.
func (a anyOf) union() *roaring.Bitmap {
	var bs []*roaring.Bitmap
	for _, b := range a {
		if b != nil {
			bs = append(bs, b)
		}
	}
	switch len(bs) {
	case 0:
		return roaring.New()
	case 1:
		return bs[0].Clone()
	default:
		return roaring.FastOr(bs...)
	}
}

// match finds the docs term t matches: exactly, within its typo budget, and
// as a prefix when it is the word being typed.
func (ix *index) match(t string, prefix bool, typos *typoAutomata) (termMatch, error) {
	var tm termMatch
	if id, ok := ix.termID[t]; ok {
		tm.exact = ix.postings[id]
	}
	tm.level[0] = tm.exact
	if prefix {
		p, err := ix.prefixMatch(t)
		if err != nil {
			return tm, err
		}
		// Every word starting with t includes t itself: no union needed.
		tm.level[0] = p
	}
	if budget := engine.Typos(t); budget > 0 {
		m := typos.matcher(t, budget)
		defer typos.release(m)
		ids, err := ix.typoExpansion(t, m)
		if err != nil {
			return tm, err
		}
		for i, rt := range ix.recentTerms() {
			if d, ok := m.distance(rt); ok && d > 0 {
				ids[d] = append(slices.Clip(ids[d]), uint32(ix.dictLen+i))
			}
		}
		for d := 1; d <= budget; d++ {
			tm.level[d] = ix.union(ids[d])
		}
	}
	return tm, nil
}

// prefixMatch is every doc with a word starting with t, per field.
func (ix *index) prefixMatch(t string) ([numFields]*roaring.Bitmap, error) {
	var out [numFields]*roaring.Bitmap
	if utf8.RuneCountInString(t) <= maxPrefixRunes {
		for f := range out {
			out[f] = ix.prefix[f][t]
		}
		return out, nil
	}
	k := expansionKey{t, true}
	exp, ok := ix.expansions.get(k)
	if !ok && ix.dict != nil {
		it, err := ix.dict.Iterator([]byte(t), prefixEnd(t))
		for err == nil {
			_, v := it.Current()
			exp[0] = append(exp[0], uint32(v))
			err = it.Next()
		}
		if err != vellum.ErrIteratorDone {
			return out, err
		}
		ix.expansions.put(k, exp)
	}
	ids := exp[0]
	for i, rt := range ix.recentTerms() {
		if strings.HasPrefix(rt, t) {
			ids = append(slices.Clip(ids), uint32(ix.dictLen+i))
		}
	}
	return ix.union(ids), nil
}

// typoExpansion is the dictionary's terms within m's typos of t, by
// distance (exact matches left out).
func (ix *index) typoExpansion(t string, m *typoMatcher) (expansion, error) {
	k := expansionKey{t, false}
	if exp, ok := ix.expansions.get(k); ok || ix.dict == nil {
		return exp, nil
	}
	var exp expansion
	it, err := ix.dict.Search(m, nil, nil)
	for err == nil {
		k, v := it.Current()
		if d, _ := m.distance(string(k)); d > 0 {
			exp[d] = append(exp[d], uint32(v))
		}
		err = it.Next()
	}
	if err != vellum.ErrIteratorDone {
		return exp, err
	}
	ix.expansions.put(k, exp)
	return exp, nil
}

// union ORs the postings of the given terms, per field.
func (ix *index) union(ids []uint32) [numFields]*roaring.Bitmap {
	var out [numFields]*roaring.Bitmap
	for f := range out {
		var bs []*roaring.Bitmap
		for _, id := range ids {
			if b := ix.postings[id][f]; b != nil {
				bs = append(bs, b)
			}
		}
		switch len(bs) {
		case 0:
		case 1:
			out[f] = bs[0]
		default:
			out[f] = roaring.FastOr(bs...)
		}
	}
	return out
}

// prefixEnd is the first key after every key starting with t.
func prefixEnd(t string) []byte {
	end := []byte(t)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// search runs q. Every term must match; the ranking follows Meilisearch's
// rules in order: fewer typos, then every word in the name, then exactness
// (the name is the query, then every word exact), then popularity and id.
func (ix *index) search(q contract.SearchQuery, typos *typoAutomata) (contract.SearchResult, error) {
	terms := ix.an.terms(q.Text)
	if len(terms) > contract.MaxSearchTerms {
		terms = terms[:contract.MaxSearchTerms]
	}
	matches := make([]termMatch, len(terms))
	for i, t := range terms {
		tm, err := ix.match(t, i == len(terms)-1, typos)
		if err != nil {
			return contract.SearchResult{}, err
		}
		matches[i] = tm
	}
	cand := ix.candidates(q, matches)
	res := contract.SearchResult{
		Hits:           []contract.Movie{},
		EstimatedTotal: int64(cand.GetCardinality()),
		Offset:         q.Offset,
		Limit:          q.Limit,
	}
	if slices.Contains(q.Facets, contract.FacetGenre) {
		counts := map[string]int64{}
		for gi, b := range ix.genreDocs {
			if c := cand.AndCardinality(b); c > 0 {
				counts[ix.genres[gi]] += int64(c)
			}
		}
		res.Facets = map[string]map[string]int64{contract.FacetGenre: counts}
	}
	// Counted first: ranking by relevance reuses cand's storage.
	need := q.Offset + q.Limit
	var ranked []uint32
	switch {
	case len(q.Sort) > 0:
		ranked = ix.sorted(cand, q.Sort, need)
	case len(terms) == 0:
		ranked = ix.byPopularity(cand, nil, need)
	default:
		ranked = ix.relevance(cand, matches, need)
	}
	for _, n := range ranked[min(q.Offset, len(ranked)):] {
		res.Hits = append(res.Hits, ix.movie(n))
	}
	return res, nil
}

// candidates are the live docs every term matches that pass the filters.
// Only the smallest set is materialised; every other one is intersected
// with the running result, which only shrinks.
func (ix *index) candidates(q contract.SearchQuery, matches []termMatch) *roaring.Bitmap {
	var sets []anyOf
	// With no retired doc, alive is every doc and intersecting it is moot.
	if ix.alive.GetCardinality() < uint64(len(ix.docs)) || len(matches) == 0 && len(q.Genres) == 0 && q.Director == "" {
		sets = append(sets, anyOf{ix.alive})
	}
	for i := range matches {
		sets = append(sets, matches[i].anyLevel())
	}
	if len(q.Genres) > 0 {
		var genres anyOf
		for _, g := range q.Genres {
			for _, gi := range ix.genreByKey[engine.Key(g)] {
				genres = append(genres, ix.genreDocs[gi])
			}
		}
		sets = append(sets, genres)
	}
	if q.Director != "" {
		sets = append(sets, anyOf{ix.directorKey[engine.Key(q.Director)]})
	}
	// Smallest first, by an upper bound, so no set is merged to be sized.
	type sized struct {
		docs anyOf
		size uint64
	}
	bySize := make([]sized, len(sets))
	for i, a := range sets {
		bySize[i] = sized{a, a.estimate()}
	}
	slices.SortStableFunc(bySize, func(a, b sized) int { return cmp.Compare(a.size, b.size) })
	var cand *roaring.Bitmap
	first, rest := bySize[0].docs, bySize[1:]
	switch {
	case len(first) == 1 && first[0] == nil:
		return roaring.New()
	case len(first) == 1 && len(rest) > 0:
		// A single bitmap is the index's own: intersect instead of copying.
		cand, rest = rest[0].docs.and(first[0]), rest[1:]
	default:
		cand = first.union()
	}
	for _, s := range rest {
		if cand.IsEmpty() {
			break
		}
		s.docs.narrow(cand)
	}
	return ix.inRanges(cand, q.IMDBScore, q.Popularity)
}

// inRanges keeps the docs of cand whose score and popularity are in range.
// It reads each doc's values: ranges come with text or genre filters that
// have already narrowed cand, and a sequential read of the values is cheaper
// than a range index kept for the rare whole-catalog case.
func (ix *index) inRanges(cand *roaring.Bitmap, score, pop contract.Range) *roaring.Bitmap {
	if cand.IsEmpty() || score == (contract.Range{}) && pop == (contract.Range{}) {
		return cand
	}
	in := func(v float64, r contract.Range) bool {
		return (r.Min == nil || v >= *r.Min) && (r.Max == nil || v <= *r.Max)
	}
	out := roaring.New()
	buf := make([]uint32, 0, 4096)
	it := cand.Iterator()
	for it.HasNext() {
		n := it.Next()
		if d := &ix.docs[n]; in(d.imdbScore, score) && in(d.popularity, pop) {
			buf = append(buf, n)
			if len(buf) == cap(buf) {
				out.AddMany(buf)
				buf = buf[:0]
			}
		}
	}
	out.AddMany(buf)
	return out
}

// relevance ranks cand and returns its first need docs. cand is the
// caller's own, and spent: the docs left to rank after the exact ones are
// made in its place rather than copied.
func (ix *index) relevance(cand *roaring.Bitmap, matches []termMatch, need int) []uint32 {
	out := make([]uint32, 0, need)
	// take appends the first docs of b, less those of minus (if any), while
	// the page is short. minus is always a bucket taken before, whole.
	take := func(b, minus *roaring.Bitmap) {
		if len(out) < need && b != minus {
			out = append(out, ix.byPopularity(b, minus, need-len(out))...)
		}
	}
	nameLen := ix.nameWords[min(len(matches), maxNameWords)]
	// No typo: every term matched exactly or as the typed prefix.
	exactly := matches[0].within(cand, 0)
	for i := 1; i < len(matches); i++ {
		matches[i].narrow(exactly, 0)
	}
	inName, wordsInName := exactly, exactly
	for i := range matches {
		inName = roaring.And(inName, orNil(matches[i].level[0][fieldName]))
		wordsInName = roaring.And(wordsInName, orNil(matches[i].exact[fieldName]))
	}
	isName := roaring.And(wordsInName, nameLen)
	take(isName, nil)
	// Then a name made of the query's words with the last one still being
	// typed: "bitter lett" puts "Bitter Letter" before "A Letter for the
	// Bitter Snow". Meilisearch's proximity rule ranks it so; word
	// positions are not indexed here, and a name of as many words as the
	// query is the closest its words can be.
	if len(out) < need {
		typedName := roaring.And(inName, nameLen) // holds isName, and no other doc of wordsInName
		take(typedName, isName)
		take(wordsInName, isName)
		if len(out) < need {
			take(inName, roaring.Or(wordsInName, typedName))
		}
	}
	take(exactly, inName)
	if len(out) >= need {
		return out
	}
	// With typos: tiers by the total number of typos, each split by the
	// attribute and exactness rules. A tier is only computed when the ones
	// before it leave the page short, as Meilisearch ranks.
	rest := cand
	rest.AndNot(exactly)
	if rest.IsEmpty() {
		return out
	}
	tiers := typoTiers{rest: rest, matches: matches}
	for k := 1; k <= 2*len(matches) && len(out) < need; k++ {
		all, name := tiers.tier(k)
		if all.IsEmpty() {
			continue
		}
		isName := roaring.And(name, nameLen)
		take(isName, nil)
		take(name, isName)
		take(all, name)
	}
	return out
}

// typoTiers splits rest (the docs that match with some typo) by the total
// of each term's fewest typos, one tier at a time.
type typoTiers struct {
	rest    *roaring.Bitmap
	matches []termMatch
	// first[d]: docs of rest matching the first term with d typos and not
	// fewer; name[d]: those of them matching it in the name with ≤ d
	// typos. Filled up to levels as tiers need them: every tier's walk
	// starts from them. Later terms narrow the walk's own, smaller sets
	// instead (step), so no set as large as rest is made per term.
	first, name [3]*roaring.Bitmap
	levels      int
}

// level makes first[d] and name[d] for every d ≤ upTo.
func (t *typoTiers) level(upTo int) {
	tm := &t.matches[0]
	for d := t.levels; d <= upTo && d < 3; d++ {
		lv := tm.atLevel(t.rest, d)
		for e := range d {
			if t.first[e] != nil {
				lv = without(lv, t.rest, t.first[e])
			}
		}
		t.levels = d + 1
		if lv.IsEmpty() {
			continue
		}
		t.first[d] = lv
		if tm.onlyInName(d) {
			// Every doc of lv matches the term in the name: no copy.
			t.name[d] = lv
			continue
		}
		t.name[d] = tm.namedUpTo(d).and(lv)
	}
}

// step narrows docs, and inName (its docs matching every term so far in
// the name), to those matching term j with d typos and not fewer. docs
// are within rest, so the term's postings are intersected with them
// directly. a is nil when no doc is left.
func (t *typoTiers) step(j, d int, docs, inName *roaring.Bitmap) (a, aInName *roaring.Bitmap) {
	tm := &t.matches[j]
	a = tm.atLevel(docs, d)
	for e := range d {
		for _, b := range tm.level[e] {
			if b != nil {
				a = without(a, docs, b)
			}
		}
	}
	if a.IsEmpty() {
		return nil, nil
	}
	// Where every doc so far matches in the name, and so does every doc
	// of this level, the two sets are one.
	aInName = a
	if inName != docs {
		aInName = roaring.And(inName, a)
	}
	if !tm.onlyInName(d) {
		aInName = tm.namedUpTo(d).and(aInName)
	}
	return a, aInName
}

// tier returns the docs whose terms' typos add up to k: all of them, and
// those matching every term in the name. It walks the terms' levels depth
// first with the running intersections, so a branch ends as soon as it is
// empty or can no longer add up to k. The result is read-only: it may be
// one of t's own bitmaps.
func (t *typoTiers) tier(k int) (all, name *roaring.Bitmap) {
	// The leaves are disjoint (a doc has one fewest typo count per term),
	// so they are kept apart and merged once; a tier of one leaf, every
	// one-term query's, is then used as it is instead of copied.
	var alls, names anyOf
	var walk func(j, typos int, docs, inName *roaring.Bitmap)
	walk = func(j, typos int, docs, inName *roaring.Bitmap) {
		if j == len(t.matches) {
			alls, names = append(alls, docs), append(names, inName)
			return
		}
		// Each later term adds at most two typos: fewer here than
		// k-typos-later could never reach k, and the last term can only
		// bring the total to exactly k.
		later := 2 * (len(t.matches) - j - 1)
		hi := min(k-typos, 2)
		if j == 0 {
			t.level(hi)
		}
		for d := max(0, k-typos-later); d <= hi; d++ {
			if j == 0 {
				if t.first[d] != nil {
					walk(1, d, t.first[d], t.name[d])
				}
				continue
			}
			if a, aInName := t.step(j, d, docs, inName); a != nil {
				walk(j+1, typos+d, a, aInName)
			}
		}
	}
	walk(0, 0, t.rest, t.rest)
	return alls.merged(), names.merged()
}

// byPopularity returns the first k docs of b but not of minus (nil for
// none) by popularity (desc), then id. The built part of the index is
// numbered in that order, so its first members are the answer; the tail
// added since is sorted and merged in. Ranking passes as minus a bucket it
// has taken whole while the page stayed short, so minus holds fewer than a
// page of docs: skipping them costs less than making b's difference.
func (ix *index) byPopularity(b, minus *roaring.Bitmap, k int) []uint32 {
	head := make([]uint32, 0, k)
	it := b.Iterator()
	for it.HasNext() && len(head) < k {
		n := it.PeekNext()
		if n >= ix.ordered {
			break
		}
		it.Next()
		if minus == nil || !minus.Contains(n) {
			head = append(head, n)
		}
	}
	if uint64(ix.ordered) >= uint64(len(ix.docs)) {
		return head
	}
	// The tail's members are read off the iterator, not cut from a copy of
	// b: b can be a whole match set, the tail's share of it is small.
	var rest []uint32
	for it.AdvanceIfNeeded(ix.ordered); it.HasNext(); {
		if n := it.Next(); minus == nil || !minus.Contains(n) {
			rest = append(rest, n)
		}
	}
	if len(rest) == 0 {
		return head
	}
	slices.SortFunc(rest, ix.popularityOrder)
	merged := make([]uint32, 0, min(k, len(head)+len(rest)))
	i, j := 0, 0
	for len(merged) < k && (i < len(head) || j < len(rest)) {
		if j == len(rest) || i < len(head) && ix.popularityOrder(head[i], rest[j]) <= 0 {
			merged = append(merged, head[i])
			i++
		} else {
			merged = append(merged, rest[j])
			j++
		}
	}
	return merged
}

func (ix *index) popularityOrder(a, b uint32) int {
	da, db := &ix.docs[a], &ix.docs[b]
	return cmp.Or(cmp.Compare(db.popularity, da.popularity), cmp.Compare(da.id, db.id))
}

// sorted returns the first need docs of cand in an explicit order, id last
// so equal keys have one order on every page.
func (ix *index) sorted(cand *roaring.Bitmap, order []contract.Order, need int) []uint32 {
	less := func(a, b uint32) int {
		da, db := &ix.docs[a], &ix.docs[b]
		for _, o := range order {
			var c int
			switch o.Field {
			case contract.FieldName:
				c = strings.Compare(engine.Key(ix.name(a)), engine.Key(ix.name(b)))
			case contract.FieldDirector:
				c = strings.Compare(engine.Key(ix.directors[da.director]), engine.Key(ix.directors[db.director]))
			case contract.FieldPopularity:
				c = cmp.Compare(da.popularity, db.popularity)
			case contract.FieldIMDBScore:
				c = cmp.Compare(da.imdbScore, db.imdbScore)
			case contract.FieldID:
				c = cmp.Compare(da.id, db.id)
			}
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(da.id, db.id)
	}
	// Keep the best need docs in a max-heap: one pass, need-sized memory.
	h := &docHeap{less: less}
	it := cand.Iterator()
	for it.HasNext() {
		n := it.Next()
		if h.Len() < need {
			heap.Push(h, n)
		} else if need > 0 && less(n, h.ns[0]) < 0 {
			h.ns[0] = n
			heap.Fix(h, 0)
		}
	}
	out := h.ns
	slices.SortFunc(out, less)
	return out
}

// docHeap is a max-heap of doc numbers under less (the worst on top).
type docHeap struct {
	ns   []uint32
	less func(a, b uint32) int
}

func (h *docHeap) Len() int           { return len(h.ns) }
func (h *docHeap) Less(i, j int) bool { return h.less(h.ns[i], h.ns[j]) > 0 }
func (h *docHeap) Swap(i, j int)      { h.ns[i], h.ns[j] = h.ns[j], h.ns[i] }
func (h *docHeap) Push(x any)         { h.ns = append(h.ns, x.(uint32)) }
func (h *docHeap) Pop() any {
	n := h.ns[len(h.ns)-1]
	h.ns = h.ns[:len(h.ns)-1]
	return n
}

// orNil is b, or an empty bitmap for nil (no doc).
func orNil(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return roaring.New()
	}
	return b
}
