package notes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/cognito-verify/cognito"
)

// Limits on requests.
const (
	MaxBodyBytes  = 16 << 10
	MaxNoteIDLen  = 128
	MaxNoteLength = 8 << 10
)

// UserFunc returns the user a request acts for, established by something
// the handler trusts (a verified token, an authorizer), never the request's
// own content; false refuses the request.
type UserFunc func(r *http.Request) (string, bool)

// UserFromClaims is the UserFunc behind the cognito middleware: the
// verified token's sub.
func UserFromClaims(r *http.Request) (string, bool) {
	c, ok := cognito.ClaimsFromContext(r.Context())
	if !ok || c.Subject == "" {
		return "", false
	}
	return c.Subject, true
}

// NewHandler returns the Notes API, acting for the user that user returns
// (UserFromClaims behind the cognito middleware).
//
//	POST   /notes            {"noteid","note"} → 201 {"message":"Note created"}
//	GET    /notes            → 200 {"notes":[…]}
//	GET    /notes/{noteid}   → 200 {"noteid","note"}
//	DELETE /notes/{noteid}   → 204
func NewHandler(store Store, user UserFunc, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{store: store, userOf: user, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", a.create)
	mux.HandleFunc("GET /notes", a.list)
	mux.HandleFunc("GET /notes/{noteid}", a.get)
	mux.HandleFunc("DELETE /notes/{noteid}", a.delete)
	return mux
}

type api struct {
	store  Store
	userOf UserFunc
	log    *slog.Logger
}

// user returns the request's user; without one the request is refused (the
// handler was mounted without its authentication).
func (a *api) user(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, ok := a.userOf(r)
	if !ok || id == "" {
		writeError(w, http.StatusUnauthorized, "no verified user")
		return "", false
	}
	return id, true
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	user, ok := a.user(w, r)
	if !ok {
		return
	}
	n, status, msg := decodeNote(w, r)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	switch err := a.store.Create(r.Context(), user, n); {
	case errors.Is(err, ErrExists):
		writeError(w, http.StatusConflict, fmt.Sprintf("note %q already exists", n.NoteID))
	case err != nil:
		a.fail(w, r, err)
	default:
		a.log.InfoContext(r.Context(), "note created", "user", user, "noteid", n.NoteID)
		writeJSON(w, http.StatusCreated, map[string]string{"message": "Note created"})
	}
}

// decodeNote validates the body as the seed's NoteCreateModel: an object
// with the required strings noteid and note.
func decodeNote(w http.ResponseWriter, r *http.Request) (Note, int, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return Note{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)
	}
	if err != nil {
		return Note{}, http.StatusBadRequest, "could not read the body"
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil || dec.More() {
		return Note{}, http.StatusBadRequest, `body must be a JSON object {"noteid": "…", "note": "…"}`
	}
	var n Note
	for _, f := range []struct {
		name string
		dst  *string
	}{{"noteid", &n.NoteID}, {"note", &n.Note}} {
		name, dst := f.name, f.dst
		raw, ok := fields[name]
		if !ok {
			return Note{}, http.StatusBadRequest, name + " is required"
		}
		if json.Unmarshal(raw, dst) != nil {
			return Note{}, http.StatusBadRequest, name + " must be a string"
		}
	}
	if msg := validNoteID(n.NoteID); msg != "" {
		return Note{}, http.StatusBadRequest, msg
	}
	if n.Note == "" || len(n.Note) > MaxNoteLength {
		return Note{}, http.StatusBadRequest, fmt.Sprintf("note must be 1 to %d bytes", MaxNoteLength)
	}
	return n, 0, ""
}

func validNoteID(id string) string {
	if id == "" || len(id) > MaxNoteIDLen || !utf8.ValidString(id) {
		return fmt.Sprintf("noteid must be 1 to %d bytes of UTF-8", MaxNoteIDLen)
	}
	for _, c := range id {
		if c < ' ' || c == '/' || c == 0x7f {
			return "noteid must not contain '/' or control characters"
		}
	}
	return ""
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	user, ok := a.user(w, r)
	if !ok {
		return
	}
	notes, err := a.store.List(r.Context(), user)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Note{"notes": notes})
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	user, ok := a.user(w, r)
	if !ok {
		return
	}
	n, err := a.store.Get(r.Context(), user, r.PathValue("noteid"))
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "note not found")
	case err != nil:
		a.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, n)
	}
}

func (a *api) delete(w http.ResponseWriter, r *http.Request) {
	user, ok := a.user(w, r)
	if !ok {
		return
	}
	switch err := a.store.Delete(r.Context(), user, r.PathValue("noteid")); {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "note not found")
	case err != nil:
		a.fail(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "store failed", "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
