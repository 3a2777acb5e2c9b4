package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every exit code of verify, human and -json, against the pool's live key
// set (over TLS, with a client trusting the pool) or a saved one.
func TestVerify(t *testing.T) {
	pool := newPool(t)
	other := newPool(t, cognitotest.WithPoolID("eu-west-1_OtherPool"))
	dir := t.TempDir()
	saved := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(saved, pool.JWKS(), 0o644))
	othersSet := filepath.Join(dir, "other.json")
	require.NoError(t, os.WriteFile(othersSet, other.JWKS(), 0o644))
	offline := []string{"-pool", pool.PoolID, "-client", pool.ClientID, "-token-use", "access"}

	cases := []struct {
		name    string
		token   string
		args    []string
		code    int
		outcome string // of -json
		line    string // of the human output
	}{
		{"valid", pool.AccessToken(cognitotest.ExpiresIn(4*time.Minute + 12*time.Second)), flags(pool), exitOK, "valid",
			"valid: access token verified at 2026-11-30T12:00:00Z for " + pool.Issuer()},
		{"valid ID token", pool.IDToken(), []string{"-pool", pool.PoolID, "-client", pool.ClientID, "-token-use", "id",
			"-jwks-url", pool.JWKSURL()}, exitOK, "valid", "valid: id token verified"},
		{"any client", pool.AccessToken(cognitotest.WithClaim("client_id", "another-app")),
			[]string{"-pool", pool.PoolID, "-any-client", "-token-use", "access", "-jwks-url", pool.JWKSURL()}, exitOK, "valid", "valid:"},
		{"a saved key set", pool.AccessToken(), append(offline, "-jwks", saved), exitOK, "valid", "valid:"},
		{"expired", pool.AccessToken(cognitotest.ExpiresIn(-time.Hour)), flags(pool), exitRejected, "rejected",
			"rejected: token is expired: expired at 2026-11-30T11:00:00Z"},
		{"another client", pool.AccessToken(cognitotest.WithClaim("client_id", "another-app")), flags(pool), exitRejected, "rejected",
			`rejected: client mismatch: client_id "another-app" is not one of ["` + pool.ClientID + `"]`},
		{"a group missing", pool.AccessToken(), flags(pool, "-group", "admin"), exitRejected, "rejected",
			`rejected: required group missing: token holds none of the groups ["admin"]`},
		{"a scope missing", pool.AccessToken(), flags(pool, "-scope", "notes/write"), exitRejected, "rejected",
			`rejected: required scope missing: token grants none of the scopes ["notes/write"]`},
		{"a key set without the token's key", pool.AccessToken(), append(offline, "-jwks", othersSet), exitRejected, "rejected",
			"rejected: signing key not found: kid"},
		{"forged", forge(pool.AccessToken()), append(offline, "-jwks", saved), exitRejected, "rejected",
			"rejected: invalid signature"},
		{"unreadable", "a.b", flags(pool), exitRejected, "rejected", "rejected: malformed token: 2 segments, want 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, pool, tc.token, append([]string{"verify"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, tc.line)
			if tc.code == exitRejected {
				assert.Contains(t, r.stdout, "cognito-token inspect with the same -pool, -client and -token-use lists every check it fails")
			}

			r = runCLI(t, pool, tc.token, append([]string{"verify", "-json"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code)
			var out verifyJSON
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
			assert.Equal(t, tc.outcome, out.Outcome)
			if tc.code == exitOK {
				assert.Nil(t, out.Error)
				var claims map[string]any
				require.NoError(t, json.Unmarshal(out.Claims, &claims))
				assert.Equal(t, pool.Subject("alice"), claims["sub"])
				assert.Contains(t, out.Times, "exp")
			} else {
				require.NotNil(t, out.Error)
				assert.Nil(t, out.Claims, "no claims with a rejection")
				assert.Contains(t, out.Error.Message, "cognito: invalid token: "+out.Error.Reason)
			}
		})
	}

	r := runCLI(t, pool, pool.AccessToken(cognitotest.ExpiresIn(4*time.Minute+12*time.Second)), append([]string{"verify"}, flags(pool)...)...)
	assert.Regexp(t, `(?m)^Claims \(verified\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  exp +1796040252  2026-11-30T12:04:12Z, expires in 4m12s$`, r.stdout)
	assert.Regexp(t, `(?m)^  username +"alice"$`, r.stdout)
}

// forge returns token with its signature's first byte changed.
func forge(token string) string {
	i := strings.LastIndexByte(token, '.') + 1
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// Keys that cannot be had are exit 2, never 1: the token may be valid.
func TestVerifyUndecided(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken()
	pool.FailJWKS(http.StatusServiceUnavailable)

	r := runCLI(t, pool, token, append([]string{"verify"}, flags(pool)...)...)
	assert.Equal(t, exitUndecided, r.code)
	assert.Equal(t, "could not decide: cognito: signing keys unavailable from "+pool.JWKSURL()+
		`: unexpected HTTP status "503 Service Unavailable", body begins "Service Unavailable"`+"\n", r.stdout)

	r = runCLI(t, pool, token, append([]string{"verify", "-json"}, flags(pool)...)...)
	assert.Equal(t, exitUndecided, r.code)
	var out verifyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, "undecided", out.Outcome)
	assert.Equal(t, "cognito: signing keys unavailable", out.Error.Reason)

	// A client that does not trust the pool's certificate: TLS fails.
	var stdout, stderr strings.Builder
	c := &cli{stdin: strings.NewReader(token), stdout: &stdout, stderr: &stderr, now: clock}
	assert.Equal(t, exitUndecided, c.main(append([]string{"verify"}, flags(pool)...)))
	assert.Contains(t, stdout.String(), "could not decide: cognito: signing keys unavailable")
}

// Mistakes in the flags are usage errors (exit 2), found before the token
// is read.
func TestVerifyUsage(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"keys":[]}`), 0o644))

	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no -token-use", []string{"-pool", pool.PoolID, "-client", pool.ClientID}, "TokenUse is required"},
		{"no -client", []string{"-pool", pool.PoolID, "-token-use", "access"}, "ClientIDs is required (or set SkipClientIDCheck"},
		{"no pool", []string{"-client", pool.ClientID, "-token-use", "access"}, "UserPoolID"},
		{"an empty client", []string{"-pool", pool.PoolID, "-client", "a,,b", "-token-use", "access"}, "ClientIDs holds an empty string"},
		{"an invalid saved key set", []string{"-pool", pool.PoolID, "-client", "a", "-token-use", "access", "-jwks", broken}, "JWKS: invalid JWKS: empty key set"},
		{"a missing saved key set", []string{"-pool", pool.PoolID, "-client", "a", "-token-use", "access", "-jwks", broken + ".missing"}, "no such file"},
		{"both key sources", []string{"-pool", pool.PoolID, "-client", "a", "-token-use", "access", "-jwks", broken, "-jwks-url", pool.JWKSURL()}, "JWKS"},
		{"a plain-http key set URL", []string{"-pool", pool.PoolID, "-client", "a", "-token-use", "access", "-jwks-url", "http://keys.example.com/jwks.json"}, "set AllowHTTP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, pool, "", append([]string{"verify"}, tc.args...)...)
			assert.Equal(t, exitUndecided, r.code)
			assert.Contains(t, r.stderr, tc.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

// The token is never sent anywhere: the only requests are GETs of the key
// set, and none carries the token or any part of it.
func TestVerifyNeverSendsTheToken(t *testing.T) {
	pool := newPool(t)
	var mu sync.Mutex
	var seen []string
	jwks := pool.JWKS()
	pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" "+strings.Join(headerLines(r.Header), " ")+" "+string(body))
		mu.Unlock()
		_, _ = w.Write(jwks)
	}))
	token := pool.AccessToken()
	r := runCLI(t, pool, token, append([]string{"verify"}, flags(pool)...)...)
	require.Equal(t, exitOK, r.code, r.stdout)
	r = runCLI(t, pool, forge(token), append([]string{"verify"}, flags(pool)...)...)
	require.Equal(t, exitRejected, r.code, r.stdout)

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen)
	parts := strings.Split(token, ".")
	for _, req := range seen {
		assert.True(t, strings.HasPrefix(req, "GET /"+pool.PoolID+"/.well-known/jwks.json "), req)
		for _, part := range parts {
			assert.NotContains(t, req, part[:40])
		}
	}
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}
