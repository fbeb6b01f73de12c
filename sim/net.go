package sim

// NetOptions is the network model. (The network is being built: see the package doc.)
type NetOptions struct{}

// DefaultNetOptions returns the default network model.
func DefaultNetOptions() NetOptions { return NetOptions{} }

// Network connects the world's hosts.
type Network struct {
	w    *World
	opts NetOptions
}

func newNetwork(w *World, o NetOptions) *Network { return &Network{w: w, opts: o} }

func (n *Network) hostCrashed(h HostID) {}
