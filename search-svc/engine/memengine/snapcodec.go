package memengine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/RoaringBitmap/roaring/v2"
)

// The snapshot's primitives: lengths and counts as uvarints, fixed-width
// columns little-endian in chunks, bitmaps in Roaring's portable format.
// The first error sticks, so the layout code reads as a plain sequence and
// checks once at the end.

// columnChunk is how many bytes of a column are encoded per write.
const columnChunk = 64 << 10

type snapWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (s *snapWriter) write(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

func (s *snapWriter) uvarint(v uint64) { s.write(binary.AppendUvarint(s.buf[:0], v)) }

func (s *snapWriter) str(v string) {
	s.uvarint(uint64(len(v)))
	if s.err == nil {
		_, s.err = s.w.WriteString(v)
	}
}

func (s *snapWriter) bytes(b []byte) {
	s.uvarint(uint64(len(b)))
	s.write(b)
}

// column writes a count then each element through put, which appends its
// fixed-width encoding.
func writeColumn[T any](s *snapWriter, col []T, put func([]byte, T) []byte) {
	s.uvarint(uint64(len(col)))
	buf := s.buf[:0]
	for _, v := range col {
		buf = put(buf, v)
		if len(buf) >= columnChunk {
			s.write(buf)
			buf = buf[:0]
		}
	}
	s.write(buf)
	s.buf = buf[:0]
}

// bitmap writes b, nil included (a term may have no posting in a field).
func (s *snapWriter) bitmap(b *roaring.Bitmap) {
	if b == nil {
		s.uvarint(0)
		return
	}
	s.uvarint(1)
	if s.err == nil {
		_, s.err = b.WriteTo(s.w)
	}
}

var errSnapshotLength = errors.New("length beyond the end of the file")

type snapReader struct {
	r *bufio.Reader
	// size bounds every length read, so a damaged one fails instead of
	// allocating without end.
	size uint64
	buf  []byte
	err  error
}

func (s *snapReader) uvarint() uint64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(s.r)
	s.err = err
	return v
}

// length is a count of items at least min bytes each.
func (s *snapReader) length(min uint64) int {
	n := s.uvarint()
	if s.err == nil && n > s.size/min {
		s.err = errSnapshotLength
		return 0
	}
	return int(n)
}

func (s *snapReader) bytes() []byte {
	n := s.length(1)
	if s.err != nil {
		return nil
	}
	b := make([]byte, n)
	_, s.err = io.ReadFull(s.r, b)
	return b
}

func (s *snapReader) str() string { return string(s.bytes()) }

// readColumn reads what writeColumn wrote; each element is width bytes.
func readColumn[T any](s *snapReader, width int, get func([]byte) T) []T {
	n := s.length(uint64(width))
	if s.err != nil {
		return nil
	}
	col := make([]T, 0, n)
	per := columnChunk / width
	for len(col) < n && s.err == nil {
		k := min(per, n-len(col))
		if cap(s.buf) < k*width {
			s.buf = make([]byte, columnChunk)
		}
		b := s.buf[:k*width]
		if _, s.err = io.ReadFull(s.r, b); s.err != nil {
			break
		}
		for i := 0; i < len(b); i += width {
			col = append(col, get(b[i:i+width]))
		}
	}
	return col
}

func (s *snapReader) bitmap() *roaring.Bitmap {
	if s.uvarint() == 0 || s.err != nil {
		return nil
	}
	b := roaring.New()
	_, s.err = b.ReadFrom(s.r)
	return b
}
