package cognito

import "sync/atomic"

// secondChance bounds a set of routes by the CLOCK rule, an approximation
// of least-recently-used eviction whose bookkeeping on a hit is one atomic
// load (and a store when the bit was clear): a Verify never takes a lock
// for it. Each member has a used bit, set when it serves; when the set is
// full, a hand sweeps the ring, clearing used bits, and evicts the first
// member whose bit was already clear. A member used since the hand last
// passed is never the victim while another is not.
//
// It is not safe for concurrent use: its owner guards it with a lock, and
// entry(r).slot with the same lock; used is atomic.
type secondChance struct {
	max   int
	entry func(*route) *clockEntry // which of a route's entries this set uses
	ring  []*route                 // nil: a free slot
	hand  int
	n     int // members
}

// clockEntry is a route's membership of one secondChance set.
type clockEntry struct {
	used atomic.Bool
	slot int // index in the ring + 1; 0: not a member
}

// touch marks the entry used, writing only when it was not: a hot route's
// cache line stays shared between cores.
func (e *clockEntry) touch() {
	if !e.used.Load() {
		e.used.Store(true)
	}
}

// add makes r a member and returns the member it evicted, if any.
func (s *secondChance) add(r *route) (victim *route) {
	e := s.entry(r)
	if e.slot != 0 {
		e.touch()
		return nil
	}
	// A new member starts unused: it must be used again before the hand
	// comes round to keep its place (a burst of one-off pools evicts only
	// its own kind).
	e.used.Store(false)
	switch {
	case len(s.ring) < s.max:
		s.ring = append(s.ring, r)
		e.slot = len(s.ring)
		s.n++
		return nil
	case s.n < s.max: // a removed member's slot is free
		for s.ring[s.hand] != nil {
			s.hand = (s.hand + 1) % len(s.ring)
		}
	default: // at most two turns: the first clears every used bit it passes
		for victim == nil {
			v := s.ring[s.hand]
			ve := s.entry(v)
			if !ve.used.Load() {
				ve.slot = 0
				victim = v
				s.n--
				break
			}
			ve.used.Store(false)
			s.hand = (s.hand + 1) % len(s.ring)
		}
	}
	s.ring[s.hand] = r
	e.slot = s.hand + 1
	s.n++
	s.hand = (s.hand + 1) % len(s.ring)
	return victim
}

// remove takes r out of the set, if it is a member.
func (s *secondChance) remove(r *route) {
	if e := s.entry(r); e.slot != 0 {
		s.ring[e.slot-1] = nil
		e.slot = 0
		s.n--
	}
}

// replace puts r in old's place, keeping its slot and used bit; when old is
// not a member it adds r.
func (s *secondChance) replace(old, r *route) (victim *route) {
	oe := s.entry(old)
	if oe.slot == 0 {
		return s.add(r)
	}
	e := s.entry(r)
	if e.slot != 0 {
		s.remove(old)
		return nil
	}
	s.ring[oe.slot-1] = r
	e.slot, oe.slot = oe.slot, 0
	e.used.Store(oe.used.Load())
	return nil
}

// members returns the number of members.
func (s *secondChance) members() int { return s.n }
