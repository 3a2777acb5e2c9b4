// Package storetest checks a notes.Store against the contract every store
// must keep, so the memory and DynamoDB stores are held to the same one.
package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Contract checks what every notes.Store must do, on an empty store.
func Contract(t *testing.T, s notes.Store) {
	t.Helper()
	ctx := context.Background()
	alice, bob := "2541d352-5d5f-447a-8b58-d0d6ca01f29b", "7b7e0d2c-1f9a-4c3e-9e4b-2f3c1d0a9b8c"

	var want []notes.Note
	for i := range 7 { // more than two pages of 3
		n := notes.Note{NoteID: fmt.Sprintf("n%02d", i), Note: fmt.Sprintf("note %d", i)}
		require.NoError(t, s.Create(ctx, alice, n))
		want = append(want, n)
	}
	got, err := s.List(ctx, alice)
	require.NoError(t, err)
	assert.Equal(t, want, got, "every page, in noteId order")

	// Isolation: bob sees nothing of alice's, and his note 01 is his own.
	got, err = s.List(ctx, bob)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.NotNil(t, got, "an empty list, not null")
	require.NoError(t, s.Create(ctx, bob, notes.Note{NoteID: "n01", Note: "bob's"}))
	n, err := s.Get(ctx, bob, "n01")
	require.NoError(t, err)
	assert.Equal(t, "bob's", n.Note)
	n, err = s.Get(ctx, alice, "n01")
	require.NoError(t, err)
	assert.Equal(t, "note 1", n.Note)
	_, err = s.Get(ctx, bob, "n02")
	assert.ErrorIs(t, err, notes.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, bob, "n02"), notes.ErrNotFound, "bob cannot delete alice's note")

	// Conditional create: never an overwrite.
	assert.ErrorIs(t, s.Create(ctx, alice, notes.Note{NoteID: "n01", Note: "overwrite"}), notes.ErrExists)
	n, err = s.Get(ctx, alice, "n01")
	require.NoError(t, err)
	assert.Equal(t, "note 1", n.Note)

	// Delete.
	require.NoError(t, s.Delete(ctx, alice, "n01"))
	_, err = s.Get(ctx, alice, "n01")
	assert.ErrorIs(t, err, notes.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, alice, "n01"), notes.ErrNotFound)
	got, err = s.List(ctx, alice)
	require.NoError(t, err)
	assert.Len(t, got, 6)
	n, err = s.Get(ctx, bob, "n01")
	require.NoError(t, err, "alice's delete left bob's note alone")
	assert.Equal(t, "bob's", n.Note)

	// Any UTF-8 noteid the API accepts round-trips.
	odd := notes.Note{NoteID: "é 漢字 #?&", Note: "x"}
	require.NoError(t, s.Create(ctx, alice, odd))
	n, err = s.Get(ctx, alice, odd.NoteID)
	require.NoError(t, err)
	assert.Equal(t, odd, n)
}
