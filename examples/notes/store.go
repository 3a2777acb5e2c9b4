// Package notes is the seed's Notes service: notes stored per user, the user
// being the verified token's sub. It holds the storage contract and the
// HTTP handlers that the notes-server example serves behind the cognito
// middleware.
package notes

import (
	"context"
	"errors"
	"sort"
	"sync"
)

// Note is one stored note. JSON names follow the seed's NoteCreateModel.
type Note struct {
	NoteID string `json:"noteid"`
	Note   string `json:"note"`
}

// Errors a Store returns.
var (
	ErrNotFound = errors.New("note not found")
	ErrExists   = errors.New("note already exists")
)

// Store keeps notes under a user ID. Implementations are safe for
// concurrent use, and one user's calls never see another user's notes.
type Store interface {
	// Create stores n for userID; ErrExists if userID already has n.NoteID.
	Create(ctx context.Context, userID string, n Note) error
	// Get returns userID's note noteID, or ErrNotFound.
	Get(ctx context.Context, userID, noteID string) (Note, error)
	// List returns userID's notes ordered by NoteID.
	List(ctx context.Context, userID string) ([]Note, error)
	// Delete removes userID's note noteID, or returns ErrNotFound.
	Delete(ctx context.Context, userID, noteID string) error
}

// MemoryStore is an in-memory Store. The zero value is ready to use.
type MemoryStore struct {
	mu    sync.Mutex
	notes map[string]map[string]string // userID → noteID → note
}

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, userID string, n Note) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notes == nil {
		s.notes = make(map[string]map[string]string)
	}
	user := s.notes[userID]
	if user == nil {
		user = make(map[string]string)
		s.notes[userID] = user
	}
	if _, ok := user[n.NoteID]; ok {
		return ErrExists
	}
	user[n.NoteID] = n.Note
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, userID, noteID string) (Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	note, ok := s.notes[userID][noteID]
	if !ok {
		return Note{}, ErrNotFound
	}
	return Note{NoteID: noteID, Note: note}, nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, userID string) ([]Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Note, 0, len(s.notes[userID]))
	for id, note := range s.notes[userID] {
		out = append(out, Note{NoteID: id, Note: note})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NoteID < out[j].NoteID })
	return out, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, userID, noteID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.notes[userID][noteID]; !ok {
		return ErrNotFound
	}
	delete(s.notes[userID], noteID)
	return nil
}
