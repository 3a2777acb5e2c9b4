package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The key set is saved byte for byte, after the library's parser accepted
// it, with each key's verdict.
func TestJWKSSaves(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(file, []byte("old"), 0o644))

	r := runCLI(t, pool, "", "jwks", "-pool", pool.PoolID, "-jwks-url", pool.JWKSURL(), "-o", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	saved, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, pool.JWKS(), saved)
	assert.Equal(t, "saved the key set of "+pool.JWKSURL()+" to "+file+":\n"+
		"  kid "+pool.AccessKeyID()+"  usable\n"+
		"  kid "+pool.IDKeyID()+"  usable\n"+
		"Use it with COGNITO_JWKS_FILE="+file+", or read it into cognito.Config.JWKS.\n", r.stdout)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	// The saved set verifies the pool's tokens with no network.
	before := pool.Requests()
	r = runCLI(t, nil, pool.AccessToken(), "verify", "-pool", pool.PoolID, "-client", pool.ClientID,
		"-token-use", "access", "-jwks", file)
	assert.Equal(t, exitOK, r.code, r.stdout)
	assert.Equal(t, before, pool.Requests())

	// The URL derived from -issuer, as a verifier derives it.
	r = runCLI(t, pool, "", "jwks", "-issuer", pool.URL()+"/"+pool.PoolID, "-o", "-", "-json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(pool.JWKS()), r.stdout, "-o - writes the set to stdout")
	var out jwksJSON
	require.NoError(t, json.Unmarshal([]byte(r.stderr), &out), "and the report to stderr")
	assert.Equal(t, jwksJSON{Outcome: "saved", URL: pool.JWKSURL(), File: "-", Keys: []keyJSON{
		{Kid: pool.AccessKeyID(), Usable: true}, {Kid: pool.IDKeyID(), Usable: true},
	}}, out)
}

// A set the library accepts may still hold keys it never uses: each is
// named with the reason.
func TestJWKSJudgesEachKey(t *testing.T) {
	pool := newPool(t)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(pool.JWKS(), &set))
	ec := json.RawMessage(`{"kty":"EC","kid":"ec-key","crv":"P-256","x":"AA","y":"AA"}`)
	body, err := json.Marshal(map[string]any{"keys": []json.RawMessage{set.Keys[0], set.Keys[1], set.Keys[1], ec}})
	require.NoError(t, err)
	pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))

	file := filepath.Join(t.TempDir(), "jwks.json")
	r := runCLI(t, pool, "", "jwks", "-pool", pool.PoolID, "-jwks-url", pool.JWKSURL(), "-o", file, "-json")
	require.Equal(t, exitOK, r.code, r.stdout)
	var out jwksJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Keys, 4)
	assert.Equal(t, keyJSON{Kid: pool.AccessKeyID(), Usable: true}, out.Keys[0])
	for _, k := range out.Keys[1:3] {
		assert.False(t, k.Usable)
		assert.Contains(t, k.Error, "appears more than once")
	}
	assert.False(t, out.Keys[3].Usable)
	assert.Contains(t, out.Keys[3].Error, `kty "EC" is not RSA`)

	r = runCLI(t, pool, "", "jwks", "-pool", pool.PoolID, "-jwks-url", pool.JWKSURL(), "-o", file)
	assert.Contains(t, r.stdout, "  kid ec-key  not usable: cognito: invalid config: JWKS: invalid JWKS: no usable RS256 key")
}

// An invalid set is never saved (exit 1); a set that cannot be fetched is
// exit 2; usage mistakes are exit 2.
func TestJWKSRefuses(t *testing.T) {
	pool := newPool(t)
	serve := func(status int, body string) {
		pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
	}
	cases := []struct {
		name    string
		serve   func()
		code    int
		outcome string
		line    string
	}{
		{"an empty set", func() { serve(200, `{"keys":[]}`) }, exitRejected, "rejected",
			"refused, nothing saved: cognito: invalid config: JWKS: invalid JWKS: empty key set"},
		{"HTML", func() { serve(200, `<html>hello</html>`) }, exitRejected, "rejected",
			"refused, nothing saved: cognito: invalid config: JWKS: invalid JWKS JSON"},
		{"no usable key", func() { serve(200, `{"keys":[{"kty":"oct","kid":"k","k":"AAAA"}]}`) }, exitRejected, "rejected",
			`refused, nothing saved: cognito: invalid config: JWKS: invalid JWKS: no usable RS256 key ([key 0: kty "oct" is not RSA])`},
		{"over 1 MiB", func() { serve(200, `{"keys":[`+strings.Repeat(" ", maxJWKSBytes)+`]}`) }, exitRejected, "rejected",
			"refused, nothing saved: the key set is larger than 1048576 bytes"},
		{"503", func() { serve(503, "down") }, exitUndecided, "undecided",
			`could not fetch the key set: unexpected HTTP status "503 Service Unavailable" from ` + pool.JWKSURL()},
		{"a redirect", func() {
			jwks := pool.JWKS()
			pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moved" {
					_, _ = w.Write(jwks) // a valid set, never fetched
					return
				}
				http.Redirect(w, r, "/moved", http.StatusFound)
			}))
		}, exitUndecided, "undecided", `could not fetch the key set: unexpected HTTP status "302 Found"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.serve()
			file := filepath.Join(t.TempDir(), "jwks.json")
			args := []string{"jwks", "-pool", pool.PoolID, "-jwks-url", pool.JWKSURL(), "-o", file}
			r := runCLI(t, pool, "", args...)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.stdout, tc.line)
			assert.NoFileExists(t, file)

			r = runCLI(t, pool, "", append(args, "-json")...)
			assert.Equal(t, tc.code, r.code)
			var out jwksJSON
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
			assert.Equal(t, tc.outcome, out.Outcome)
			assert.Equal(t, pool.JWKSURL(), out.URL)
			require.NotNil(t, out.Error)
			assert.Empty(t, out.Keys)
			assert.NoFileExists(t, file)
		})
	}

	pool.SetJWKSHandler(nil)
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no -o", []string{"-pool", pool.PoolID}, "-o FILE is required"},
		{"no pool", []string{"-o", "x.json"}, "UserPoolID"},
		{"a bad pool", []string{"-pool", "us-east-1", "-o", "x.json"}, `UserPoolID "us-east-1" is not a Cognito user pool ID`},
		{"plain http elsewhere", []string{"-pool", pool.PoolID, "-jwks-url", "http://keys.example.com/jwks.json", "-o", "x.json"}, "set AllowHTTP"},
		{"a directory that does not exist", []string{"-pool", pool.PoolID, "-jwks-url", pool.JWKSURL(), "-o", filepath.Join(t.TempDir(), "none", "x.json")}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, pool, "", append([]string{"jwks"}, tc.args...)...)
			assert.Equal(t, exitUndecided, r.code)
			assert.Contains(t, r.stderr, tc.stderr)
		})
	}
}
