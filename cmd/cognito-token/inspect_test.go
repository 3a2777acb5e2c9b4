package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The human output's key lines: header, claims in the token's order with
// times as dates and relative to now, and no checks without a pool.
func TestInspectShowsTheToken(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken(cognitotest.ExpiresIn(4*time.Minute+12*time.Second), cognitotest.WithGroups("users"),
		cognitotest.WithClaim("nbf", fixedNow.Add(5*time.Minute).Unix()),
		cognitotest.WithClaim("custom:note", "a\x1b[2Jb\u202ec"))

	r := runCLI(t, nil, token, "inspect")
	require.Equal(t, exitOK, r.code, r.stderr)
	out := r.stdout
	for _, line := range []string{
		`^Unverified: nothing below is verified \(cognito-token verify checks the signature\)\.$`,
		`^Header$`,
		`^  alg  "RS256"$`,
		`^  kid  "` + strings.ReplaceAll(pool.AccessKeyID(), "+", `\+`) + `"$`,
		`^Claims$`,
		`^  exp +1796040252  2026-11-30T12:04:12Z, expires in 4m12s$`,
		`^  iat +1796040000  2026-11-30T12:00:00Z, 0s ago$`,
		`^  nbf +1796040300  2026-11-30T12:05:00Z, valid in 5m$`,
		`^  cognito:groups +\["users"\]$`,
		`^  custom:note +"a\\u001b\[2Jb\\u202ec"$`,
		`^Checks: none\. Give -pool \(or -issuer\), -client and -token-use`,
	} {
		assert.Regexp(t, "(?m)"+line, out)
	}
	assert.NotContains(t, out, "\x1b", "an escape sequence from a claim reaches the terminal")
	assert.Less(t, strings.Index(out, "  auth_time"), strings.Index(out, "  username"), "claims in the token's order")

	r = runCLI(t, nil, pool.AccessToken(cognitotest.ExpiresIn(-3*time.Hour)), "inspect")
	assert.Equal(t, exitOK, r.code, "without checks, inspect only decodes")
	assert.Regexp(t, `(?m)^  exp +\d+  2026-11-30T09:00:00Z, expired 3h ago$`, r.stdout)

	r = runCLI(t, nil, pool.AccessToken(cognitotest.WithClaim("iat", fixedNow.Add(90*time.Second).Unix())), "inspect")
	assert.Regexp(t, `(?m)^  iat +\d+  2026-11-30T12:01:30Z, in 1m30s, in the future$`, r.stdout)
}

// With a pool, every check a verifier would refuse the token for, in the
// library's words, and exit 1.
func TestInspectChecks(t *testing.T) {
	pool := newPool(t)
	checks := func(extra ...string) []string {
		return append([]string{"inspect", "-pool", pool.PoolID, "-client", pool.ClientID, "-token-use", "access"}, extra...)
	}
	const skip = "  skip  the signing key and the signature: only cognito-token verify checks them"

	r := runCLI(t, nil, pool.AccessToken(), checks()...)
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Checks at 2026-11-30T12:00:00Z, as a verifier of access tokens of "+
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1 for client "+pool.ClientID+":\n"+
		"  ok    no check fails but those below\n"+skip+"\n")

	bad := pool.AccessToken(cognitotest.ExpiresIn(-3*time.Hour), cognitotest.WithClaim("client_id", "other-app"),
		cognitotest.WithGroups("users"))
	r = runCLI(t, nil, bad, checks("-group", "admin,ops")...)
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stdout, " requiring a group of admin, ops:\n"+
		"  FAIL  token is expired: expired at 2026-11-30T09:00:00Z\n"+
		`  FAIL  client mismatch: client_id "other-app" is not one of ["`+pool.ClientID+`"]`+"\n"+
		`  FAIL  required group missing: token holds none of the groups ["admin" "ops"]`+"\n"+
		skip+"\n")

	// A header rule too: an alg other than RS256 is read, and refused.
	_, payload, _ := strings.Cut(pool.AccessToken(), ".")
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"k"}`)) + "." + payload
	r = runCLI(t, nil, hs, checks()...)
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stdout, `  alg  "HS256"`)
	assert.Contains(t, r.stdout, `  FAIL  unsupported algorithm: alg "HS256", want RS256`)

	// Without -token-use, the kind the token claims; without -client, any.
	r = runCLI(t, nil, pool.IDToken(), "inspect", "-pool", pool.PoolID)
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "as a verifier of id tokens of")
	assert.Contains(t, r.stdout, "for any client:\n"+
		"  note  no -token-use: checked as \"id\"\n"+
		"  note  no -client: the app client is not checked\n")
	r = runCLI(t, nil, pool.IDToken(), "inspect", "-pool", pool.PoolID, "-token-use", "access")
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stdout, `  FAIL  token_use mismatch: got "id", want "access"`)

	// An emulator: -issuer, http on loopback without a flag, elsewhere
	// with -allow-http only.
	emulator := pool.AccessToken(cognitotest.WithClaim("iss", "http://localhost:9229/local_pool"))
	r = runCLI(t, nil, emulator, "inspect", "-issuer", "http://localhost:9229/local_pool")
	assert.Equal(t, exitOK, r.code, r.stdout)
	remote := pool.AccessToken(cognitotest.WithClaim("iss", "http://cognito-local:9229/local_pool"))
	r = runCLI(t, nil, remote, "inspect", "-issuer", "http://cognito-local:9229/local_pool")
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, "set AllowHTTP")
	r = runCLI(t, nil, remote, "inspect", "-issuer", "http://cognito-local:9229/local_pool", "-allow-http")
	assert.Equal(t, exitOK, r.code, r.stdout)

	// A configuration the library refuses is a usage error.
	r = runCLI(t, nil, pool.AccessToken(), "inspect", "-pool", "not-a-pool")
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, `UserPoolID "not-a-pool" is not a Cognito user pool ID`)
	r = runCLI(t, nil, pool.AccessToken(), "inspect", "-pool", pool.PoolID, "-token-use", "refresh")
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, `TokenUse "refresh" is none of`)
}

// A token that cannot be read is refused in Verify's words.
func TestInspectUnreadable(t *testing.T) {
	pool := newPool(t)
	r := runCLI(t, nil, "not.a-token", "inspect")
	assert.Equal(t, exitRejected, r.code)
	assert.Equal(t, "unreadable: malformed token: 2 segments, want 3\n", r.stdout)

	r = runCLI(t, nil, pool.AccessToken()+"x", "inspect", "-json")
	assert.Equal(t, exitRejected, r.code)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, false, out["verified"])
	assert.Equal(t, "unreadable", out["outcome"])
	assert.Equal(t, "malformed token", out["error"].(map[string]any)["reason"])
	assert.NotContains(t, r.stdout, "header")
}

func TestInspectJSON(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken(cognitotest.ExpiresIn(-time.Hour), cognitotest.WithClaim("custom:tenant", "<acme>"))
	decode := func(r result) inspectJSON {
		t.Helper()
		var out inspectJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
		return out
	}

	r := runCLI(t, nil, token, "inspect", "-json")
	assert.Equal(t, exitOK, r.code)
	out := decode(r)
	assert.False(t, out.Verified)
	assert.Equal(t, "decoded", out.Outcome)
	assert.Nil(t, out.Checks)
	assert.JSONEq(t, `{"alg":"RS256","kid":"`+pool.AccessKeyID()+`"}`, string(out.Header))
	var claims map[string]any
	require.NoError(t, json.Unmarshal(out.Claims, &claims))
	assert.Equal(t, "<acme>", claims["custom:tenant"])
	assert.Contains(t, r.stdout, `"\u003cacme\u003e"`, "values as the token sent them")
	assert.Equal(t, timeJSON{"2026-11-30T11:00:00Z", -3600, "expired 1h ago"}, out.Times["exp"])
	assert.Equal(t, timeJSON{"2026-11-30T12:00:00Z", 0, "0s ago"}, out.Times["iat"])

	r = runCLI(t, nil, token, "inspect", "-json", "-pool", pool.PoolID, "-client", "other", "-token-use", "access")
	assert.Equal(t, exitRejected, r.code)
	out = decode(r)
	assert.Equal(t, "fails", out.Outcome)
	require.NotNil(t, out.Checks)
	assert.Equal(t, "2026-11-30T12:00:00Z", out.Checks.Now)
	assert.Equal(t, []string{pool.Issuer()}, out.Checks.Issuers)
	assert.Equal(t, "access", out.Checks.TokenUse)
	assert.Equal(t, []string{"other"}, out.Checks.ClientIDs)
	assert.Equal(t, []string{"key", "signature"}, out.Checks.Skipped)
	require.Len(t, out.Checks.Failures, 2)
	assert.Equal(t, errorJSON{"token is expired", "expired at 2026-11-30T11:00:00Z",
		"cognito: invalid token: token is expired: expired at 2026-11-30T11:00:00Z"}, *out.Checks.Failures[0])
	assert.Equal(t, "client mismatch", out.Checks.Failures[1].Reason)

	raw := pool.Sign([]byte(`{"alg":"RS256","kid":"k"}`), []byte(`{"custom:tenant":"<a&b>"}`))
	r = runCLI(t, nil, raw, "inspect", "-json")
	assert.Contains(t, r.stdout, `"custom:tenant": "<a&b>"`, "no HTML escapes added")

	r = runCLI(t, nil, pool.AccessToken(), "inspect", "-json", "-pool", pool.PoolID)
	assert.Equal(t, exitOK, r.code)
	out = decode(r)
	assert.Equal(t, "passes", out.Outcome)
	assert.NotNil(t, out.Checks.Failures, "an empty list, never null")
	assert.Empty(t, out.Checks.Failures)
	assert.Nil(t, out.Checks.ClientIDs, "any client")
	assert.Len(t, out.Checks.Notes, 2)
}
