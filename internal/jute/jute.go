package jute

import (
	"encoding/binary"
	"fmt"
	"math"
)

// MaxBuffer is ZooKeeper's default jute.maxbuffer (0xfffff bytes). A length field larger
// than this (plus the same again of "extra", as BinaryInputArchive allows) is rejected as
// unreasonable rather than trusted for an allocation.
const MaxBuffer = 0xfffff

// maxLength is the largest buffer/string length a Decoder accepts.
const maxLength = 2 * MaxBuffer

// Encoder appends jute primitives to a byte slice. The zero value is ready to use.
type Encoder struct {
	Buf []byte
}

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.Buf }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.Buf) }

func (e *Encoder) Int(v int32)  { e.Buf = binary.BigEndian.AppendUint32(e.Buf, uint32(v)) }
func (e *Encoder) Long(v int64) { e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(v)) }
func (e *Encoder) Byte(v byte)  { e.Buf = append(e.Buf, v) }

// Bool writes one byte, 1 for true and 0 for false.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Buf = append(e.Buf, 1)
		return
	}
	e.Buf = append(e.Buf, 0)
}

// Buffer writes a length-prefixed byte buffer; a nil slice is written as length -1.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.Buf = append(e.Buf, b...)
}

// String writes a length-prefixed UTF-8 string (never null).
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.Buf = append(e.Buf, s...)
}

// NullString writes length -1, jute's null string.
func (e *Encoder) NullString() { e.Int(-1) }

// Raw appends bytes with no length prefix.
func (e *Encoder) Raw(b []byte) { e.Buf = append(e.Buf, b...) }

// Decoder reads jute primitives from a byte slice. After the first error every read
// returns a zero value and Err reports that first error.
type Decoder struct {
	buf  []byte
	off  int
	base int64 // offset of buf[0] in the enclosing file or stream, for messages
	err  error
}

// NewDecoder returns a Decoder over b. base is the offset of b[0] in whatever b was read
// from; it only affects error messages.
func NewDecoder(b []byte, base int64) *Decoder { return &Decoder{buf: b, base: base} }

// Err returns the first error, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns the absolute offset of the next byte to be read.
func (d *Decoder) Offset() int64 { return d.base + int64(d.off) }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Fail records err as the decoder's error unless one is already recorded. Record
// decoders use it for semantic errors (an unknown type, a bad magic number).
func (d *Decoder) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("jute: at offset %d: %s", d.Offset(), fmt.Sprintf(format, args...))
	}
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || d.Remaining() < n {
		d.Fail("reading %s: need %d bytes, have %d", what, n, d.Remaining())
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

func (d *Decoder) Int(what string) int32 {
	b := d.take(4, what)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (d *Decoder) Long(what string) int64 {
	b := d.take(8, what)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (d *Decoder) Byte(what string) byte {
	b := d.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

// Bool reads one byte; any non-zero value is true, as in Java's DataInput.readBoolean.
func (d *Decoder) Bool(what string) bool { return d.Byte(what) != 0 }

// length reads a length prefix; -1 means null and is returned as -1.
func (d *Decoder) length(what string) int {
	at := d.Offset()
	n := d.Int(what + " length")
	if d.err != nil {
		return 0
	}
	if n < -1 || n > maxLength {
		d.err = fmt.Errorf("jute: at offset %d: unreasonable %s length %d", at, what, n)
		return 0
	}
	return int(n)
}

// Buffer reads a length-prefixed buffer; length -1 yields nil. The result is a copy, so
// it stays valid when the underlying slice is reused.
func (d *Decoder) Buffer(what string) []byte {
	n := d.length(what)
	if n < 0 || d.err != nil {
		return nil
	}
	b := d.take(n, what)
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, n), b...)
}

// String reads a length-prefixed string; null (-1) reads as "".
func (d *Decoder) String(what string) string {
	n := d.length(what)
	if n < 0 || d.err != nil {
		return ""
	}
	return string(d.take(n, what))
}

// VectorLen reads a vector's element count; -1 (null) reads as 0. Each element must need
// at least minElemBytes bytes, so a corrupt count cannot force a huge allocation.
func (d *Decoder) VectorLen(what string, minElemBytes int) int {
	at := d.Offset()
	n := d.Int(what + " count")
	if d.err != nil || n == -1 {
		return 0
	}
	if minElemBytes < 1 {
		minElemBytes = 1
	}
	if n < -1 || int64(n) > int64(d.Remaining()/minElemBytes) || int64(n) > math.MaxInt32 {
		d.err = fmt.Errorf("jute: at offset %d: unreasonable %s count %d (%d bytes left)", at, what, n, d.Remaining())
		return 0
	}
	return int(n)
}

// Raw reads exactly n bytes with no length prefix (not copied).
func (d *Decoder) Raw(n int, what string) []byte { return d.take(n, what) }
