package datatree

import (
	"fmt"
	"runtime"
	"testing"
)

// benchTree builds a tree of n nodes: 100 top-level parents with n/100 children each,
// 16 bytes of data per node, as a server would build it (apply of create txns).
func benchTree(b *testing.B, n int) (*Tree, []string) {
	b.Helper()
	tree := New()
	paths := make([]string, 0, n)
	zxid := int64(0)
	data := []byte("0123456789abcdef")
	for i := 0; i < 100; i++ {
		zxid++
		parent := fmt.Sprintf("/p%02d", i)
		tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpCreate}, &CreateTxn{Path: parent, Data: data, ACL: OpenACLUnsafe, ParentCVersion: -1})
	}
	for i := 0; len(paths) < n-100; i++ {
		zxid++
		p := fmt.Sprintf("/p%02d/n%07d", i%100, i)
		if r := tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpCreate}, &CreateTxn{Path: p, Data: data, ACL: OpenACLUnsafe, ParentCVersion: -1}); r.Err != OK {
			b.Fatal(r.Err)
		}
		paths = append(paths, p)
	}
	return tree, paths
}

func BenchmarkGetData100k(b *testing.B) {
	tree, paths := benchTree(b, 100_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, c := tree.GetData(paths[i%len(paths)], NoWatch); c != OK {
			b.Fatal(c)
		}
	}
}

func BenchmarkSetData100k(b *testing.B) {
	tree, paths := benchTree(b, 100_000)
	data := []byte("fedcba9876543210")
	zxid := tree.LastProcessedZxid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		r := tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpSetData}, &SetDataTxn{Path: paths[i%len(paths)], Data: data, Version: int32(i)})
		if r.Err != OK {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkPrepSetData100k is the leader's path: prep (validation, change record,
// digest) plus apply.
func BenchmarkPrepSetData100k(b *testing.B) {
	tree, paths := benchTree(b, 100_000)
	p := NewPrepper(tree, liveSessions{})
	zxid := tree.LastProcessedZxid()
	req := Request{Type: OpSetData, Data: []byte("fedcba9876543210"), Version: -1}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		req.Path = paths[i%len(paths)]
		e := p.Prep(&req, zxid, 0)
		if r := tree.ProcessEntry(&e); r.Err != OK || r.DigestMismatch {
			b.Fatal(r.Err)
		}
		p.Applied(zxid)
	}
}

// BenchmarkCreateDelete100k creates and deletes a node under a parent of a 100k tree;
// one op is one create or one delete.
func BenchmarkCreateDelete100k(b *testing.B) {
	tree, _ := benchTree(b, 100_000)
	zxid := tree.LastProcessedZxid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		p := fmt.Sprintf("/p%02d/x%d", (i/2)%100, i/2)
		var r Result
		if i%2 == 0 {
			r = tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpCreate}, &CreateTxn{Path: p, ACL: OpenACLUnsafe, ParentCVersion: -1})
		} else {
			r = tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpDelete}, &DeleteTxn{Path: p})
		}
		if r.Err != OK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkCreate100k(b *testing.B) {
	tree, _ := benchTree(b, 100_000)
	zxid := tree.LastProcessedZxid()
	paths := make([]string, b.N)
	for i := range paths {
		paths[i] = fmt.Sprintf("/p%02d/y%d", i%100, i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		if r := tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpCreate}, &CreateTxn{Path: paths[i], ACL: OpenACLUnsafe, ParentCVersion: -1}); r.Err != OK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkDelete100k(b *testing.B) {
	tree, paths := benchTree(b, 100_000+b.N)
	zxid := tree.LastProcessedZxid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		if r := tree.ProcessTxn(TxnHeader{Zxid: zxid, Type: OpDelete}, &DeleteTxn{Path: paths[i]}); r.Err != OK {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkBytesPerNode reports the heap a 100k-node tree takes per node (16-byte data,
// paths of ~13 bytes), measured as the live-heap difference around building it.
func BenchmarkBytesPerNode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tree, paths := benchTree(b, 100_000)
		paths = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(tree.NodeCount()), "bytes/node")
		runtime.KeepAlive(tree)
		_ = paths
	}
}

func BenchmarkSerialize100k(b *testing.B) {
	tree, _ := benchTree(b, 100_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.SetBytes(int64(len(tree.SerializeBytes())))
	}
}
