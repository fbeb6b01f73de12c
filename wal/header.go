package wal

import (
	"encoding/binary"
	"fmt"
)

// File header magic numbers and version (FileTxnLog.TXNLOG_MAGIC, FileSnap.SNAP_MAGIC).
const (
	LogMagic    int32 = 0x5A4B4C47 // "ZKLG"
	SnapMagic   int32 = 0x5A4B534E // "ZKSN"
	FileVersion int32 = 2
	// FileHeaderSize is the size of the header of both log and snapshot files.
	FileHeaderSize = 16
	// SnapDBID is the dbid ZooKeeper writes in snapshot headers; logs carry 0.
	SnapDBID int64 = -1
)

// FileHeader is the header that starts every log and snapshot file.
type FileHeader struct {
	Magic   int32
	Version int32
	DBID    int64
}

func (h FileHeader) appendTo(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Magic))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Version))
	return binary.BigEndian.AppendUint64(dst, uint64(h.DBID))
}

func parseFileHeader(b []byte) FileHeader {
	return FileHeader{
		Magic:   int32(binary.BigEndian.Uint32(b)),
		Version: int32(binary.BigEndian.Uint32(b[4:])),
		DBID:    int64(binary.BigEndian.Uint64(b[8:])),
	}
}

// magicName renders a magic number for messages ("ZKLG" or the hex value).
func magicName(m int32) string {
	b := binary.BigEndian.AppendUint32(nil, uint32(m))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%#x", uint32(m))
		}
	}
	return fmt.Sprintf("%q", b)
}
