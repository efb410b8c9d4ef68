package gen

// permutation is a keyed pseudo-random bijection of [0, n): a small Feistel
// network over the smallest even-bit domain holding n, with cycle walking to
// stay inside [0, n). It maps popularity ranks to ids and back in constant
// memory, so hot movies are scattered over the id space (as real ones are)
// and the traffic model can find the id of rank k without the database.
type permutation struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPermutation(n, seed uint64) permutation {
	bits := uint(2)
	for uint64(1)<<bits < n {
		bits++
	}
	if bits%2 == 1 {
		bits++
	}
	p := permutation{n: n, half: bits / 2, mask: 1<<(bits/2) - 1}
	s := seed
	for i := range p.keys {
		s = splitmix(s + uint64(i) + 0x5eed)
		p.keys[i] = s
	}
	return p
}

func (p permutation) round(x, key uint64) uint64 { return splitmix(x^key) & p.mask }

func (p permutation) encrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^p.round(r, k)
	}
	return l<<p.half | r
}

func (p permutation) decrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for i := len(p.keys) - 1; i >= 0; i-- {
		l, r = r^p.round(l, p.keys[i]), l
	}
	return l<<p.half | r
}

// forward and inverse walk the cycle until they land inside [0, n); the
// domain is under 4n, so that takes a few steps at most on average.
func (p permutation) forward(x uint64) uint64 {
	for x = p.encrypt(x); x >= p.n; x = p.encrypt(x) {
	}
	return x
}

func (p permutation) inverse(x uint64) uint64 {
	for x = p.decrypt(x); x >= p.n; x = p.decrypt(x) {
	}
	return x
}

// splitmix is SplitMix64's finalizer: a cheap, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
