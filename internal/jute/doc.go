// Package jute encodes and decodes the primitives of Apache Jute, the record format
// ZooKeeper uses on the wire and on disk: big-endian int32/int64, one-byte booleans,
// int32-length-prefixed buffers and UTF-8 strings (length -1 means null), and
// int32-count-prefixed vectors.
//
// Records (TxnHeader, CreateTxn, StatPersisted, ...) are built from these primitives by
// the packages that own them (datatree, wal, zab). Decoding never panics: every read is
// bounds-checked and a Decoder remembers its first error, naming the offset and what it
// was reading, so a corrupt file yields a clear message instead of a crash.
package jute
