package sim

import (
	"fmt"
	"time"
)

// Time is a point in virtual time: nanoseconds since the world started. It has nothing to
// do with the wall clock; the scheduler alone advances it.
type Time int64

// Duration is a span of virtual time. It is time.Duration, so time.Millisecond and
// friends work directly, and so does formatting.
type Duration = time.Duration

// Common durations, re-exported so that simulated code need not import time.
const (
	Nanosecond  = time.Nanosecond
	Microsecond = time.Microsecond
	Millisecond = time.Millisecond
	Second      = time.Second
	Minute      = time.Minute
	Hour        = time.Hour
)

// Never is a time later than any event: the "no deadline" value.
const Never Time = 1<<63 - 1

// Add returns t+d, saturating at Never instead of overflowing.
func (t Time) Add(d Duration) Time {
	s := t + Time(d)
	if d > 0 && s < t {
		return Never
	}
	return s
}

// Sub returns the duration t-u.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// Before reports whether t is earlier than u.
func (t Time) Before(u Time) bool { return t < u }

// After reports whether t is later than u.
func (t Time) After(u Time) bool { return t > u }

// Duration returns t as the duration since the world started.
func (t Time) Duration() Duration { return Duration(t) }

// String formats t as the elapsed virtual time, e.g. "T+1.5s".
func (t Time) String() string {
	if t == Never {
		return "T+never"
	}
	return fmt.Sprintf("T+%v", Duration(t))
}
