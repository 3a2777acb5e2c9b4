package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// user calls the API with one token.
type user struct {
	t     *testing.T
	base  string
	token string
}

func (u user) do(method, path, body string) (int, string) {
	u.t.Helper()
	req, err := http.NewRequest(method, u.base+path, strings.NewReader(body))
	require.NoError(u.t, err)
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(u.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(u.t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// serveTenants serves the API for a table of pools, returning the table.
func serveTenants(t *testing.T, pools ...*cognitotest.Pool) (string, Table) {
	t.Helper()
	path, err := writeTable(t.TempDir(), pools)
	require.NoError(t, err)
	table := Table{Path: path}
	h, err := newHandler(table, pools[0].HTTPClient(), nil)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, table
}

// Two tenants with a user of the same name, and even the same sub: neither
// sees, reads or deletes the other's notes.
func TestTenantsAreIsolated(t *testing.T) {
	acme := cognitotest.NewTestPool(t, cognitotest.WithPoolID("us-east-1_Acme"))
	globex := cognitotest.NewTestPool(t, cognitotest.WithPoolID("eu-west-1_Globex"))
	base, _ := serveTenants(t, acme, globex)
	aliceAcme := user{t, base, acme.AccessToken(cognitotest.WithUser("alice"))}
	aliceGlobex := user{t, base, globex.AccessToken(cognitotest.WithUser("alice"))}
	sameSub := user{t, base, globex.AccessToken(cognitotest.WithClaim("sub", acme.Subject("alice")))}

	status, body := aliceAcme.do("POST", "/notes", `{"noteid":"1","note":"acme's plan"}`)
	require.Equal(t, 201, status, body)
	for _, other := range []user{aliceGlobex, sameSub} {
		status, body = other.do("GET", "/notes", "")
		assert.Equal(t, 200, status)
		assert.JSONEq(t, `{"notes":[]}`, body)
		status, _ = other.do("GET", "/notes/1", "")
		assert.Equal(t, 404, status)
		status, _ = other.do("DELETE", "/notes/1", "")
		assert.Equal(t, 404, status)
		status, body = other.do("POST", "/notes", `{"noteid":"1","note":"globex's own"}`)
		assert.Equal(t, 201, status, "the same note ID is free in another tenant: %s", body)
		status, _ = other.do("DELETE", "/notes/1", "")
		assert.Equal(t, 204, status)
	}
	status, body = aliceAcme.do("GET", "/notes", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"acme's plan"}]}`, body)
}

// A pool that is not in the table is refused without a request to it; a
// tenant added to the table is served without a restart; a table that
// cannot be read is a 500 for a new issuer, never a 401.
func TestTenantTable(t *testing.T) {
	acme := cognitotest.NewTestPool(t, cognitotest.WithPoolID("us-east-1_Acme"))
	newco := cognitotest.NewTestPool(t, cognitotest.WithPoolID("us-west-2_Newco"))
	later := cognitotest.NewTestPool(t, cognitotest.WithPoolID("us-west-2_Later"))
	base, table := serveTenants(t, acme)
	status, _ := user{t, base, acme.AccessToken()}.do("GET", "/notes", "")
	assert.Equal(t, 200, status)

	status, _ = user{t, base, newco.AccessToken()}.do("GET", "/notes", "")
	assert.Equal(t, 401, status)
	assert.Zero(t, newco.Requests())

	_, err := writeTable(filepath.Dir(table.Path), []*cognitotest.Pool{acme, later})
	require.NoError(t, err)
	status, body := user{t, base, later.AccessToken()}.do("GET", "/notes", "")
	assert.Equal(t, 200, status, body)

	require.NoError(t, os.WriteFile(table.Path, []byte(`{"tenants": [`), 0o600))
	status, _ = user{t, base, cognitotest.NewTestPool(t, cognitotest.WithPoolID("us-west-2_Third")).AccessToken()}.do("GET", "/notes", "")
	assert.Equal(t, 500, status)
	status, _ = user{t, base, acme.AccessToken()}.do("GET", "/notes", "")
	assert.Equal(t, 200, status, "a tenant already known keeps working")
}

// announcer is an io.Writer that closes ready once text has been written.
type announcer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	text  string
	ready chan struct{}
}

func (s *announcer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := s.b.Write(p)
	if s.ready != nil && strings.Contains(s.b.String(), s.text) {
		close(s.ready)
		s.ready = nil
	}
	return n, nil
}

func (s *announcer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// With no configuration the command serves two local tenants; the printed
// tokens show them apart.
func TestRunLocal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &announcer{text: "Press Ctrl+C", ready: make(chan struct{})}
	ready := out.ready
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, out, io.Discard)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("stopped: %v", err)
	}
	printed := out.String()
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(printed)
	acme := regexp.MustCompile(`acme: +(\S+)`).FindStringSubmatch(printed)
	globex := regexp.MustCompile(`globex: +(\S+)`).FindStringSubmatch(printed)
	require.NotEmpty(t, base)
	require.Len(t, acme, 2)
	require.Len(t, globex, 2)

	status, _ := user{t, base, acme[1]}.do("POST", "/notes", `{"noteid":"1","note":"hello from acme"}`)
	assert.Equal(t, 201, status)
	status, body := user{t, base, globex[1]}.do("GET", "/notes", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"notes":[]}`, body)

	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "Notes API stopped.")
}

func TestRunRejectsBadTable(t *testing.T) {
	getenv := func(path string) func(string) string {
		return func(k string) string {
			if k == "TENANTS_FILE" {
				return path
			}
			return ""
		}
	}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, getenv(filepath.Join(t.TempDir(), "missing.json")), io.Discard, io.Discard)
	assert.ErrorIs(t, err, os.ErrNotExist)
	bad := filepath.Join(t.TempDir(), "tenants.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"tenants": 7}`), 0o600))
	err = run(context.Background(), nil, getenv(bad), io.Discard, io.Discard)
	var typeErr *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &typeErr)
}
