package scenarios

// noConvergenceExplainer is a Cluster that can tell when a failure to converge is a
// known weakness of real ZooKeeper 3.8 rather than a bug (the sim backend can).
type noConvergenceExplainer interface {
	explainNoConvergence() (*KnownIssue, bool)
}

// explainNoConvergence labels a converge-after-heal failure, if c knows its cause.
func explainNoConvergence(c Cluster) (*KnownIssue, bool) {
	if e, ok := c.(noConvergenceExplainer); ok {
		return e.explainNoConvergence()
	}
	return nil, false
}

func (s *simCluster) explainNoConvergence() (*KnownIssue, bool) {
	if s.runErr != nil {
		return nil, false
	}
	k, ok := s.c.ExplainNoConvergence()
	if !ok {
		return nil, false
	}
	return &KnownIssue{ID: k.ID, Explanation: k.Explanation}, true
}
