package cognito

// Test-only views of a MultiVerifier for the external test package.

// KeySetsHeld returns how many of m's routed key caches hold keys now.
func KeySetsHeld(m *MultiVerifier) int {
	n := 0
	m.routes.Range(func(_, v any) bool {
		if r := v.(*route); r.p != nil && r.keys.set.Load() != nil {
			n++
		}
		return true
	})
	return n
}

// KeySetsTracked returns how many routes m's key-set bound counts.
func KeySetsTracked(m *MultiVerifier) int {
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	return m.keySets.members()
}

// ResolvedPools returns how many pools from the resolver m keeps.
func ResolvedPools(m *MultiVerifier) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resolved.members()
}

// NotFoundAnswers returns how many negative resolver answers m keeps.
func NotFoundAnswers(m *MultiVerifier) int {
	n := 0
	m.routes.Range(func(_, v any) bool {
		if v.(*route).p == nil {
			n++
		}
		return true
	})
	return n
}

// MultiCacheHits returns how many Verify calls m answered from its shared
// verified-token cache.
func MultiCacheHits(m *MultiVerifier) uint64 { return m.cache.hitCount() }
