package wal

import (
	"encoding/binary"
	"hash/adler32"

	"github.com/zabsim/zabsim/internal/jute"
)

// TxnHeaderSize is the encoded size of a TxnHeader.
const TxnHeaderSize = 32

// endOfRecord is the byte ZooKeeper writes after every log record ('B', "EOR").
const endOfRecord = 'B'

// recordPrefixSize is the checksum (8 bytes) plus the body length (4 bytes).
const recordPrefixSize = 12

// Txn types wal itself must recognize (the session map is rebuilt from them); every other
// type is opaque to wal.
const (
	OpCreateSession int32 = -10
	OpCloseSession  int32 = -11
)

// TxnHeader is ZooKeeper's TxnHeader: who issued the txn, its zxid, the leader's wall time
// (ms) when it was prepared, and its op code.
type TxnHeader struct {
	ClientID int64 // session id
	Cxid     int32
	Zxid     int64
	TimeMs   int64
	Type     int32
}

// Txn is one log entry: the header and the raw bytes that follow it (the txn record, then
// the TxnDigest when digests are enabled). wal never interprets Body; datatree does.
type Txn struct {
	Header TxnHeader
	Body   []byte
}

// Encode returns the entry as ZooKeeper serializes it (Request.getSerializeData): the
// header then Body. These are also the bytes of a PROPOSAL packet's data.
func (t Txn) Encode() []byte {
	return t.AppendEncoded(make([]byte, 0, TxnHeaderSize+len(t.Body)))
}

// AppendEncoded appends the encoded entry to dst.
func (t Txn) AppendEncoded(dst []byte) []byte {
	e := jute.Encoder{Buf: dst}
	e.Long(t.Header.ClientID)
	e.Int(t.Header.Cxid)
	e.Long(t.Header.Zxid)
	e.Long(t.Header.TimeMs)
	e.Int(t.Header.Type)
	e.Raw(t.Body)
	return e.Buf
}

// DecodeTxn splits an encoded entry into header and body. base is the offset of entry[0]
// in its file, for error messages. Body aliases entry.
func DecodeTxn(entry []byte, base int64) (Txn, error) {
	d := jute.NewDecoder(entry, base)
	h := TxnHeader{
		ClientID: d.Long("txn header clientId"),
		Cxid:     d.Int("txn header cxid"),
		Zxid:     d.Long("txn header zxid"),
		TimeMs:   d.Long("txn header time"),
		Type:     d.Int("txn header type"),
	}
	if err := d.Err(); err != nil {
		return Txn{}, walErr("decoding txn: %w", err)
	}
	return Txn{Header: h, Body: d.Rest()}, nil
}

// appendTxnRecord frames a txn as a log record: Adler32 of the encoded entry (as a long),
// the entry as a length-prefixed buffer, and the 'B' end marker. The entry is encoded in
// place and the checksum and length filled in before it.
func appendTxnRecord(dst []byte, t Txn) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, recordPrefixSize)...)
	dst = t.AppendEncoded(dst)
	entry := dst[start+recordPrefixSize:]
	binary.BigEndian.PutUint64(dst[start:], uint64(adler32.Checksum(entry)))
	binary.BigEndian.PutUint32(dst[start+8:], uint32(len(entry)))
	return append(dst, endOfRecord)
}

// RecordSize returns the number of bytes a txn occupies in a log file.
func RecordSize(t Txn) int64 { return int64(recordPrefixSize + TxnHeaderSize + len(t.Body) + 1) }
