package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is written by the server goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start runs the server with env as its environment, as `go run
// ./examples/notes-server` does, until it has printed ready; it returns
// what it printed then. stop shuts it down and returns all it printed.
func start(t *testing.T, env map[string]string, ready string) (instructions string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, environ(env), out, logs)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), ready) {
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, logs.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "%q not printed", ready)
		time.Sleep(10 * time.Millisecond)
	}
	return out.String(), func() string {
		cancel()
		require.NoError(t, <-done, logs.String())
		return out.String()
	}
}

func environ(env map[string]string) []string {
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	return kv
}

// curlLines returns the printed curl commands.
func curlLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// shellWords splits a command line the way a POSIX shell does for the
// forms the server prints: plain words and single-quoted strings.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("\"\\$`;&|<>", rune(c)):
			t.Fatalf("unexpected shell metacharacter %q in %q", c, line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	require.False(t, quoted, "unterminated quote in %q", line)
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// replay performs a curl command line with net/http.
func replay(t *testing.T, line string) (int, string) {
	w := shellWords(t, line)
	require.Equal(t, "curl", w[0])
	method, url, body := "GET", "", ""
	headers := http.Header{}
	for i := 1; i < len(w); i++ {
		switch w[i] {
		case "-i":
		case "-X":
			i++
			method = w[i]
		case "-H":
			i++
			k, v, ok := strings.Cut(w[i], ": ")
			require.True(t, ok, w[i])
			headers.Add(k, v)
		case "-d":
			i++
			body = w[i]
			if method == "GET" {
				method = "POST"
			}
		default:
			require.Empty(t, url, "two URLs in %q", line)
			url = w[i]
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = headers
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// The README's promise: the printed curl lines create a note, list it, show
// that bob sees nothing, and show 401 without a token.
func TestPrintedCurlLinesWork(t *testing.T) {
	out, stop := start(t, nil, "Press Ctrl+C")
	lines := curlLines(out)
	require.Len(t, lines, 4, out)

	want := []struct {
		status int
		body   string
	}{
		{201, `{"message":"Note created"}`},
		{200, `{"notes":[{"noteid":"1","note":"hello from alice"}]}`},
		{200, `{"notes":[]}`},
		{401, `{"error":"unauthorized","error_description":"a bearer token is required"}`},
	}
	for i, line := range lines {
		status, body := replay(t, line)
		assert.Equal(t, want[i].status, status, line)
		assert.JSONEq(t, want[i].body, body, line)
	}
	assert.Contains(t, stop(), "Notes API stopped.")
}

// The same lines run literally by a shell with the real curl, where the
// machine has one.
func TestPrintedCurlLinesInAShell(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; TestPrintedCurlLinesWork replays the lines without it")
	}
	out, stop := start(t, nil, "Press Ctrl+C")
	defer stop()
	lines := curlLines(out)
	require.Len(t, lines, 4)
	for i, wantStatus := range []string{"201", "200", "200", "401"} {
		cmd := exec.Command("bash", "-c", strings.Replace(lines[i], "curl -i", "curl -s -o /dev/null -w %{http_code}", 1))
		got, err := cmd.Output()
		require.NoError(t, err, lines[i])
		assert.Equal(t, wantStatus, string(got), lines[i])
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		says string
	}{
		"bad pool ID":        {env: map[string]string{"COGNITO_USER_POOL_ID": "not-a-pool", "COGNITO_CLIENT_IDS": "a"}, says: "UserPoolID"},
		"no clients":         {env: map[string]string{"COGNITO_USER_POOL_ID": "us-east-1_AbC"}, says: "COGNITO_CLIENT_IDS"},
		"bad flag":           {args: []string{"-bogus"}, says: "bogus"},
		"misspelt pool":      {env: map[string]string{"COGNITO_USER_POOL": "us-east-1_AbC", "COGNITO_CLIENT_IDS": "a"}, says: "COGNITO_USER_POOL is not a variable"},
		"misspelt, alone":    {env: map[string]string{"COGNITO_POOL_ID": "us-east-1_AbC"}, says: "COGNITO_POOL_ID is not a variable"},
		"clients only":       {env: map[string]string{"COGNITO_CLIENT_IDS": "a"}, says: "COGNITO_USER_POOL_ID is not set"},
		"a DynamoDB table":   {env: map[string]string{"NOTES_TABLE": "Notes"}, says: "notes-dynamodb"},
		"table and the pool": {env: map[string]string{"NOTES_TABLE": "Notes", "COGNITO_USER_POOL_ID": "us-east-1_AbC", "COGNITO_CLIENT_IDS": "a"}, says: "notes-dynamodb"},
	} {
		t.Run(name, func(t *testing.T) {
			out := &syncBuffer{}
			args := tc.args
			if args == nil {
				args = []string{"-addr", "127.0.0.1:0"}
			}
			err := run(context.Background(), args, environ(tc.env), out, io.Discard)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.says)
			assert.NotContains(t, out.String(), "Sample access tokens", "no fake pool")
		})
	}
}

// With a pool configured (here with its keys shipped in a file, so the test
// stays offline) the server verifies that pool's tokens.
func TestRunWithPoolConfig(t *testing.T) {
	pool := cognitotest.NewTestPool(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, pool.JWKS(), 0o600))
	env := map[string]string{"COGNITO_USER_POOL_ID": pool.PoolID, "COGNITO_CLIENT_IDS": pool.ClientID, "COGNITO_JWKS_FILE": jwks}

	out, stop := start(t, env, "Authorization: Bearer")
	defer stop()
	assert.Contains(t, out, pool.Issuer())
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(out)
	require.NotEmpty(t, base)

	status, body := replay(t, "curl -i -X POST "+base+"/notes -H 'Authorization: Bearer "+pool.AccessToken()+"' -d '{\"noteid\":\"a\",\"note\":\"b\"}'")
	assert.Equal(t, 201, status, body)
	status, _ = replay(t, "curl -i "+base+"/notes -H 'Authorization: Bearer "+pool.IDToken()+"'")
	assert.Equal(t, 401, status)
	assert.Zero(t, pool.Requests(), "keys came from the file")
}
