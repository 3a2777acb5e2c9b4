package cognito

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The CLOCK rule: a member used since the hand last passed survives it; a
// new member starts unused; a free slot is taken before anyone is evicted.
func TestSecondChance(t *testing.T) {
	s := secondChance{max: 3, entry: func(r *route) *clockEntry { return &r.inKeys }}
	a, b, c, d, e, f := &route{}, &route{}, &route{}, &route{}, &route{}, &route{}
	for _, x := range []*route{a, b, c} {
		assert.Nil(t, s.add(x))
	}
	assert.Equal(t, 3, s.members())

	a.inKeys.touch()
	c.inKeys.touch()
	assert.Same(t, b, s.add(d), "the unused member goes; the hand cleared a's bit")
	assert.Zero(t, b.inKeys.slot)
	a.inKeys.touch()
	assert.Same(t, d, s.add(e), "an unused newcomer goes before members used since the hand passed")
	assert.Same(t, c, s.add(f), "c's second chance was spent")
	assert.Equal(t, 3, s.members())

	assert.Nil(t, s.add(a), "a member added again is only marked used")
	assert.True(t, a.inKeys.used.Load())

	s.remove(f)
	assert.Equal(t, 2, s.members())
	assert.Nil(t, s.add(b), "the free slot is taken; nobody is evicted")
	assert.Equal(t, 3, s.members())
	assert.NotZero(t, a.inKeys.slot)
	assert.NotZero(t, e.inKeys.slot)

	assert.Nil(t, s.replace(a, c), "c takes a's slot and used bit")
	assert.Zero(t, a.inKeys.slot)
	assert.NotZero(t, c.inKeys.slot)
	assert.True(t, c.inKeys.used.Load())
	assert.NotNil(t, s.replace(a, d), "replacing a non-member adds")
	assert.Equal(t, 3, s.members())
}
