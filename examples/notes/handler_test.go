package notes_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// newAPI serves the Notes API behind the middleware, as notes-server does.
func newAPI(t *testing.T) (*cognitotest.Pool, string) {
	pool := cognitotest.NewTestPool(t)
	v, err := cognito.NewVerifier(pool.Config())
	require.NoError(t, err)
	srv := httptest.NewServer(v.Middleware(notes.NewHandler(&notes.MemoryStore{}, notes.UserFromClaims, nil)))
	t.Cleanup(srv.Close)
	return pool, srv.URL
}

func TestNotesPerUser(t *testing.T) {
	pool, base := newAPI(t)
	alice := client{t, base, pool.AccessToken(cognitotest.WithUser("alice"))}
	bob := client{t, base, pool.AccessToken(cognitotest.WithUser("bob"))}

	status, body := alice.do("POST", "/notes", `{"noteid":"1","note":"hello from alice"}`)
	assert.Equal(t, 201, status)
	assert.JSONEq(t, `{"message":"Note created"}`, body)
	status, _ = alice.do("POST", "/notes", `{"noteid":"2","note":"second"}`)
	assert.Equal(t, 201, status)

	// Bob may use the same noteid: notes live under the user.
	status, _ = bob.do("POST", "/notes", `{"noteid":"1","note":"bob's"}`)
	assert.Equal(t, 201, status)

	status, body = alice.do("GET", "/notes", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"hello from alice"},{"noteid":"2","note":"second"}]}`, body)
	status, body = bob.do("GET", "/notes", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"bob's"}]}`, body)

	status, body = bob.do("GET", "/notes/2", "")
	assert.Equal(t, 404, status, "bob cannot read alice's note 2")
	assert.JSONEq(t, `{"error":"note not found"}`, body)
	status, _ = bob.do("DELETE", "/notes/2", "")
	assert.Equal(t, 404, status, "bob cannot delete alice's note 2")

	status, body = alice.do("GET", "/notes/2", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"noteid":"2","note":"second"}`, body)
	status, _ = alice.do("DELETE", "/notes/2", "")
	assert.Equal(t, 204, status)
	status, _ = alice.do("GET", "/notes/2", "")
	assert.Equal(t, 404, status)
	status, _ = alice.do("DELETE", "/notes/2", "")
	assert.Equal(t, 404, status)

	status, body = alice.do("POST", "/notes", `{"noteid":"1","note":"again"}`)
	assert.Equal(t, 409, status, "an existing note is not overwritten")
	assert.Contains(t, body, "already exists")
	_, body = alice.do("GET", "/notes/1", "")
	assert.JSONEq(t, `{"noteid":"1","note":"hello from alice"}`, body)

	// The user is the token's sub: a sub-like field in the body is data.
	status, _ = bob.do("POST", "/notes", `{"noteid":"3","note":"x","userId":"`+pool.Subject("alice")+`"}`)
	assert.Equal(t, 201, status)
	_, body = alice.do("GET", "/notes/3", "")
	assert.JSONEq(t, `{"error":"note not found"}`, body)
}

func TestNotesRejects(t *testing.T) {
	pool, base := newAPI(t)
	alice := client{t, base, pool.AccessToken()}
	cases := []struct {
		name, method, path, body string
		c                        client
		status                   int
		says                     string
	}{
		{"no token", "GET", "/notes", "", client{t, base, ""}, 401, "bearer token is required"},
		{"bad token", "GET", "/notes", "", client{t, base, "a.b.c"}, 401, "invalid_token"},
		{"expired token", "POST", "/notes", `{"noteid":"1","note":"x"}`, client{t, base, pool.AccessToken(cognitotest.ExpiresIn(-1))}, 401, "token is expired"},
		{"ID token", "GET", "/notes", "", client{t, base, pool.IDToken()}, 401, "token_use mismatch"},
		{"not JSON", "POST", "/notes", `noteid=1`, alice, 400, "JSON object"},
		{"array", "POST", "/notes", `[]`, alice, 400, "JSON object"},
		{"null", "POST", "/notes", `null`, alice, 400, "JSON object"},
		{"two objects", "POST", "/notes", `{"noteid":"1","note":"x"}{}`, alice, 400, "JSON object"},
		{"empty body", "POST", "/notes", ``, alice, 400, "JSON object"},
		{"noteid missing", "POST", "/notes", `{"note":"x"}`, alice, 400, "noteid is required"},
		{"note missing", "POST", "/notes", `{"noteid":"1"}`, alice, 400, "note is required"},
		{"noteid number", "POST", "/notes", `{"noteid":1,"note":"x"}`, alice, 400, "noteid must be a string"},
		{"note object", "POST", "/notes", `{"noteid":"1","note":{}}`, alice, 400, "note must be a string"},
		{"noteid empty", "POST", "/notes", `{"noteid":"","note":"x"}`, alice, 400, "noteid must be 1 to"},
		{"noteid with slash", "POST", "/notes", `{"noteid":"a/b","note":"x"}`, alice, 400, "'/'"},
		{"noteid too long", "POST", "/notes", `{"noteid":"` + strings.Repeat("x", 129) + `","note":"x"}`, alice, 400, "noteid must be 1 to"},
		{"note empty", "POST", "/notes", `{"noteid":"1","note":""}`, alice, 400, "note must be 1 to"},
		{"note too long", "POST", "/notes", `{"noteid":"1","note":"` + strings.Repeat("x", notes.MaxNoteLength+1) + `"}`, alice, 400, "note must be 1 to"},
		{"body too large", "POST", "/notes", `{"noteid":"1","note":"` + strings.Repeat("x", notes.MaxBodyBytes) + `"}`, alice, 413, "larger than"},
		{"unknown note", "GET", "/notes/nope", "", alice, 404, "not found"},
		{"wrong method", "PUT", "/notes", `{}`, alice, 405, ""},
		{"unknown path", "GET", "/other", "", alice, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			status, body := tc.c.do(tc.method, tc.path, tc.body)
			assert.Equal(t, tc.status, status, body)
			assert.Contains(t, body, tc.says)
		})
	}
	// Nothing was stored by any of them.
	_, body := alice.do("GET", "/notes", "")
	assert.JSONEq(t, `{"notes":[]}`, body)
}

// Without the middleware the handler refuses to guess a user.
func TestNotesWithoutMiddleware(t *testing.T) {
	srv := httptest.NewServer(notes.NewHandler(&notes.MemoryStore{}, notes.UserFromClaims, nil))
	t.Cleanup(srv.Close)
	status, body := client{t, srv.URL, ""}.do("GET", "/notes", "")
	assert.Equal(t, 401, status)
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	assert.Equal(t, "no verified user", m["error"])
}
