package zkdb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/zabsim/zabsim/datatree"
)

// JSONNode is one znode in the fixtures' tree.json shape: the path, the data in base64,
// and every field of the client Stat (cversion as clients see it).
type JSONNode struct {
	Path           string `json:"path"`
	DataB64        string `json:"data_b64"`
	Czxid          int64  `json:"czxid"`
	Mzxid          int64  `json:"mzxid"`
	Pzxid          int64  `json:"pzxid"`
	Ctime          int64  `json:"ctime"`
	Mtime          int64  `json:"mtime"`
	Version        int32  `json:"version"`
	Cversion       int32  `json:"cversion"`
	Aversion       int32  `json:"aversion"`
	EphemeralOwner int64  `json:"ephemeralOwner"`
	DataLength     int32  `json:"dataLength"`
	NumChildren    int32  `json:"numChildren"`
}

// TreeNodes lists every node of tree, depth-first with sorted children, root first.
func TreeNodes(tree *datatree.Tree) []JSONNode {
	paths := tree.Paths()
	out := make([]JSONNode, 0, len(paths))
	for _, p := range paths {
		data, st, code := tree.GetData(p, datatree.NoWatch)
		if code != datatree.OK {
			panic("zkdb: a path from Tree.Paths has no node: " + p)
		}
		out = append(out, JSONNode{
			Path: p, DataB64: base64.StdEncoding.EncodeToString(data),
			Czxid: st.Czxid, Mzxid: st.Mzxid, Pzxid: st.Pzxid, Ctime: st.Ctime, Mtime: st.Mtime,
			Version: st.Version, Cversion: st.Cversion, Aversion: st.Aversion,
			EphemeralOwner: st.EphemeralOwner, DataLength: st.DataLength, NumChildren: st.NumChildren,
		})
	}
	return out
}

// MarshalTreeJSON renders nodes exactly as the fixtures' tree.json files are written:
// a JSON array, one-space indentation, no trailing newline.
func MarshalTreeJSON(nodes []JSONNode) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nodes); err != nil {
		return nil, errf("encoding tree json: %w", err)
	}
	return asciiOnly(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// asciiOnly escapes every non-ASCII character as \uXXXX (UTF-16 surrogate pairs beyond
// U+FFFF), as Python's json.dumps does by default: the fixtures' tree.json files were
// written that way. Outside strings JSON holds only ASCII, so this touches strings only.
func asciiOnly(b []byte) []byte {
	if utf8.Valid(b) && !hasNonASCII(b) {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(byte(r))
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.Bytes()
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// WriteTreeJSON writes the whole tree in tree.json form.
func WriteTreeJSON(w io.Writer, tree *datatree.Tree) error {
	b, err := MarshalTreeJSON(TreeNodes(tree))
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ParseTreeJSON reads a tree.json document.
func ParseTreeJSON(b []byte) ([]JSONNode, error) {
	var nodes []JSONNode
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&nodes); err != nil {
		return nil, errf("parsing tree json at byte %d: %w", dec.InputOffset(), err)
	}
	return nodes, nil
}
