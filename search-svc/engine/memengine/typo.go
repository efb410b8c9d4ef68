package memengine

import (
	"unicode/utf8"

	"github.com/blevesearch/vellum"
)

// typoMatcher is a Levenshtein automaton for one query term (an adjacent
// transposition counting as one typo, as in Meilisearch), evaluated lazily
// as the term dictionary is walked: a state is one row of the edit-distance
// table, made only for the prefixes of the dictionary the walk reaches.
//
// It replaces vellum's levenshtein DFA, which is built whole for every new
// word: a 256-entry transition table per state (1 KB), a few hundred KB
// for a word with two typos, which was most of what a search allocated on
// a small index (people's typos rarely repeat, so no cache holds them). The rows here live in arenas a search
// reuses: walking the dictionary allocates nothing once they have grown.
//
// Distances count runes, not bytes; the dictionary feeds UTF-8 bytes, so a
// state also holds the bytes of a rune not yet complete.
type typoMatcher struct {
	query []rune
	typos int
	// rows holds every state's row, len(query)+1 cells each: cell j is the
	// distance between the input so far and query[:j], capped at typos+1.
	rows   []uint8
	states []typoState
}

type typoState struct {
	row, prevRow int32 // offsets in rows; prevRow -1 before the first rune
	last         rune  // the rune that made row (for transpositions)
	pending      [utf8.UTFMax]byte
	npending     uint8
}

var _ vellum.Automaton = (*typoMatcher)(nil)

// reset makes m match words within typos of term, keeping its arenas.
func (m *typoMatcher) reset(term string, typos int) {
	m.query = m.query[:0]
	for _, r := range term {
		m.query = append(m.query, r)
	}
	m.typos = typos
	m.rows = m.rows[:0]
	m.states = m.states[:0]
	start := m.newRow()
	for j := range m.rowAt(start) {
		m.rows[int(start)+j] = m.capped(j)
	}
	m.states = append(m.states, typoState{row: start, prevRow: -1, last: -1})
}

func (m *typoMatcher) width() int { return len(m.query) + 1 }

func (m *typoMatcher) capped(d int) uint8 { return uint8(min(d, m.typos+1)) }

func (m *typoMatcher) newRow() int32 {
	at := len(m.rows)
	m.rows = append(m.rows, make([]uint8, m.width())...)
	return int32(at)
}

func (m *typoMatcher) rowAt(at int32) []uint8 { return m.rows[at : int(at)+m.width()] }

// Start implements vellum.Automaton: the state of the empty input.
func (m *typoMatcher) Start() int { return 0 }

// IsMatch implements vellum.Automaton: the input is within the budget.
func (m *typoMatcher) IsMatch(s int) bool {
	st := &m.states[s]
	return st.npending == 0 && int(m.rowAt(st.row)[len(m.query)]) <= m.typos
}

// CanMatch implements vellum.Automaton: some continuation of the input may
// be within the budget. A transposition only lowers a cell from two rows
// back by way of a cell of this row no higher, so the row's minimum decides.
func (m *typoMatcher) CanMatch(s int) bool {
	for _, d := range m.rowAt(m.states[s].row) {
		if int(d) <= m.typos {
			return true
		}
	}
	return false
}

// WillAlwaysMatch implements vellum.Automaton: a longer word is never
// closer, so no state matches every continuation.
func (m *typoMatcher) WillAlwaysMatch(int) bool { return false }

// Accept implements vellum.Automaton: the state after byte b.
func (m *typoMatcher) Accept(s int, b byte) int {
	st := m.states[s]
	st.pending[st.npending] = b
	st.npending++
	if !utf8.FullRune(st.pending[:st.npending]) {
		m.states = append(m.states, st)
		return len(m.states) - 1
	}
	r, _ := utf8.DecodeRune(st.pending[:st.npending])
	row := m.newRow()
	cur, prev := m.rowAt(row), m.rowAt(st.row)
	cur[0] = m.capped(int(prev[0]) + 1)
	for j := 1; j < len(cur); j++ {
		substitution := 0
		if r != m.query[j-1] {
			substitution = 1
		}
		d := min(int(prev[j])+1, int(cur[j-1])+1, int(prev[j-1])+substitution)
		if j >= 2 && st.prevRow >= 0 && r == m.query[j-2] && st.last == m.query[j-1] {
			d = min(d, int(m.rowAt(st.prevRow)[j-2])+1)
		}
		cur[j] = m.capped(d)
	}
	m.states = append(m.states, typoState{row: row, prevRow: st.row, last: r})
	return len(m.states) - 1
}

// distance is how many typos word is from the query term, and whether it
// is within the budget. Its states are dropped after: they are the word's
// alone.
func (m *typoMatcher) distance(word string) (int, bool) {
	mark, rowMark := len(m.states), len(m.rows)
	defer func() { m.states, m.rows = m.states[:mark], m.rows[:rowMark] }()
	s := m.Start()
	for i := 0; i < len(word) && m.CanMatch(s); i++ {
		s = m.Accept(s, word[i])
	}
	if !m.IsMatch(s) {
		return 0, false
	}
	return int(m.rowAt(m.states[s].row)[len(m.query)]), true
}
