package jute

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Int(-7)
	e.Long(1 << 40)
	e.Bool(true)
	e.Buffer(nil)
	e.Buffer([]byte("hi"))
	e.String("/a/b")
	e.Int(2) // vector of 2 ints
	e.Int(10)
	e.Int(11)
	d := NewDecoder(e.Bytes(), 0)
	if got := d.Int("i"); got != -7 {
		t.Fatalf("Int = %d", got)
	}
	if got := d.Long("l"); got != 1<<40 {
		t.Fatalf("Long = %d", got)
	}
	if !d.Bool("b") {
		t.Fatal("Bool = false")
	}
	if got := d.Buffer("nil"); got != nil {
		t.Fatalf("null buffer = %v", got)
	}
	if got := d.Buffer("buf"); !bytes.Equal(got, []byte("hi")) {
		t.Fatalf("Buffer = %q", got)
	}
	if got := d.String("s"); got != "/a/b" {
		t.Fatalf("String = %q", got)
	}
	n := d.VectorLen("v", 4)
	if n != 2 || d.Int("x") != 10 || d.Int("y") != 11 {
		t.Fatalf("vector wrong, n=%d", n)
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err=%v remaining=%d", d.Err(), d.Remaining())
	}
}

func TestShortInputNamesOffsetAndField(t *testing.T) {
	d := NewDecoder([]byte{0, 0, 0, 5, 'a'}, 100)
	_ = d.String("path")
	if d.Err() == nil || !strings.Contains(d.Err().Error(), "offset 104") || !strings.Contains(d.Err().Error(), "path") {
		t.Fatalf("err = %v", d.Err())
	}
	// Later reads keep the first error and return zero values.
	if d.Long("z") != 0 || !strings.Contains(d.Err().Error(), "path") {
		t.Fatalf("first error not kept: %v", d.Err())
	}
}

func TestUnreasonableLengths(t *testing.T) {
	for _, b := range [][]byte{
		{0xff, 0xff, 0xff, 0xfe},       // -2
		{0x7f, 0xff, 0xff, 0xff},       // huge
		{0x00, 0x20, 0x00, 0x00, 1, 2}, // > 2*MaxBuffer
	} {
		d := NewDecoder(b, 0)
		_ = d.Buffer("data")
		if d.Err() == nil || !strings.Contains(d.Err().Error(), "unreasonable") {
			t.Fatalf("%x: err = %v", b, d.Err())
		}
	}
	d := NewDecoder([]byte{0, 0, 0, 100, 1, 2, 3, 4}, 0)
	if d.VectorLen("acl", 4) != 0 || d.Err() == nil {
		t.Fatalf("vector count larger than input accepted")
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 'h', 'i', 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b, 0)
		for d.Err() == nil && d.Remaining() > 0 {
			_ = d.Buffer("b")
			_ = d.VectorLen("v", 1)
			_ = d.String("s")
			_ = d.Long("l")
		}
	})
}
