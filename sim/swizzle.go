package sim

// ClogHost clogs every link to and from h for d (see Clog).
func (n *Network) ClogHost(h HostID, d Duration) {
	for _, o := range n.w.Hosts() {
		if o != h {
			n.Clog(h, o, d)
			n.Clog(o, h, d)
		}
	}
}

// Swizzle runs FoundationDB's "swizzle clogging", the fault it credits with its deepest
// bugs, over the next d: it picks about half of hosts (at least one), clogs each one's
// links from a drawn start in [0, d/2) to a drawn end in [d/2, d), so that clogs begin
// and end in a scrambled order, and returns the hosts picked, in order. Draws come from
// the network's stream.
func (n *Network) Swizzle(hosts []HostID, d Duration) []HostID {
	if len(hosts) == 0 || d <= 1 {
		return nil
	}
	r := n.rand()
	var picked []HostID
	for _, h := range hosts {
		if r.IntN(2) == 0 {
			picked = append(picked, h)
		}
	}
	if len(picked) == 0 {
		picked = []HostID{hosts[r.IntN(len(hosts))]}
	}
	half := int64(d / 2)
	for _, h := range picked {
		start := Duration(r.Int64N(half))
		end := Duration(half + r.Int64N(int64(d)-half))
		n.w.After(start, func() { n.ClogHost(h, end-start) })
	}
	n.w.note("net.swizzle", int64(len(picked)), int64(d), 0)
	return picked
}
