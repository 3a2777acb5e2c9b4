package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedNow is the clock of every test.
var fixedNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func newPool(t *testing.T, opts ...cognitotest.Option) *cognitotest.Pool {
	t.Helper()
	return cognitotest.NewTestPool(t, append([]cognitotest.Option{cognitotest.WithClock(clock)}, opts...)...)
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command with stdin, the fixed clock and, given a pool,
// an HTTP client that trusts the pool's TLS certificate.
func runCLI(t *testing.T, pool *cognitotest.Pool, stdin string, args ...string) result {
	t.Helper()
	var out, errs bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errs, now: clock}
	if pool != nil {
		c.httpClient = pool.HTTPClient()
	}
	code := c.main(args)
	return result{code, out.String(), errs.String()}
}

// flags returns the -pool, -client, -token-use and -jwks-url flags of the
// pool, then extra.
func flags(pool *cognitotest.Pool, extra ...string) []string {
	return append([]string{"-pool", pool.PoolID, "-client", pool.ClientID, "-token-use", "access",
		"-jwks-url", pool.JWKSURL()}, extra...)
}

func TestUsage(t *testing.T) {
	r := runCLI(t, nil, "")
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, "cognito-token inspect [flags] < token")

	r = runCLI(t, nil, "", "help")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Exit status: 0 valid")

	r = runCLI(t, nil, "", "decode")
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, `unknown command "decode"`)

	for _, cmd := range []string{"inspect", "verify", "jwks"} {
		r = runCLI(t, nil, "", cmd, "-h")
		assert.Equal(t, exitOK, r.code, cmd)
		assert.Contains(t, r.stderr, "Usage: cognito-token "+cmd)
		assert.Contains(t, r.stderr, "Exit status:")

		r = runCLI(t, nil, "", cmd, "-no-such-flag")
		assert.Equal(t, exitUndecided, r.code, cmd)
	}
}

// run wires the real streams and clock.
func TestRun(t *testing.T) {
	pool := newPool(t)
	var out, errs bytes.Buffer
	code := run([]string{"inspect"}, strings.NewReader(pool.AccessToken()), &out, &errs)
	assert.Equal(t, exitOK, code, errs.String())
	assert.Contains(t, out.String(), "Unverified: nothing below is verified")
	assert.Regexp(t, `(?m)^  token_use +"access"$`, out.String())
}

// The token comes from stdin or -token-file, never from the arguments.
func TestTokenInput(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken()
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(token+"\n"), 0o600))
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))

	cases := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"stdin with a newline", token + "\n", nil, exitOK, ""},
		{"an Authorization header value", "Bearer " + token + "\r\n", nil, exitOK, ""},
		{"-token-file", "", []string{"-token-file", file}, exitOK, ""},
		{"-token-file -", token, []string{"-token-file", "-"}, exitOK, ""},
		{"a missing -token-file", "", []string{"-token-file", file + ".missing"}, exitUndecided, "no such file"},
		{"an empty -token-file", token, []string{"-token-file", empty}, exitUndecided, "no token in " + empty},
		{"empty stdin", "", nil, exitUndecided, "no token on stdin"},
		{"only whitespace", " \n\t\n", nil, exitUndecided, "no token on stdin"},
		{"a token on the command line", "", []string{token}, exitUndecided, "lands in the shell's history"},
		{"more than any verifier accepts", strings.Repeat("a", maxInput+1), nil, exitRejected, "over 1048576 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.stdin, append([]string{"inspect"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.stderr)
			assert.NotContains(t, r.stderr, token[:20], "the token is never echoed")
		})
	}
	r := runCLI(t, pool, "", append([]string{"verify"}, flags(pool, token)...)...)
	assert.Equal(t, exitUndecided, r.code)
	assert.Contains(t, r.stderr, "lands in the shell's history")
	assert.NotContains(t, r.stderr, token[:20])
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		999 * time.Millisecond:         "0s",
		42 * time.Second:               "42s",
		4*time.Minute + 12*time.Second: "4m12s",
		4 * time.Minute:                "4m",
		3 * time.Hour:                  "3h",
		3*time.Hour + 5*time.Minute + 59*time.Second: "3h5m",
		30 * time.Hour: "30h",
		52 * time.Hour: "2d4h",
		72 * time.Hour: "3d",
	} {
		assert.Equal(t, want, duration(d), "%v", d)
	}
}

// Claims are written by whoever sent the token: what is printed for
// people cannot drive the terminal, and is cut when long.
func TestCleanOutput(t *testing.T) {
	assert.Equal(t, `a\x1b[31m\u202e\u009b`, clean("a\x1b[31m\u202e\u009b"))
	assert.Equal(t, "é 日本", clean("é 日本"))
	long := clean(strings.Repeat("x", 1000))
	assert.Equal(t, strings.Repeat("x", maxShown)+"… (1000 bytes in all)", long)
}
