package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	pool *cognitotest.Pool
	a    *authorizer
	logs *bytes.Buffer
}

func newFixture(t *testing.T) fixture {
	pool := cognitotest.NewTestPool(t)
	v, err := cognito.NewVerifier(pool.Config())
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	return fixture{pool, &authorizer{v: v, log: slog.New(slog.NewJSONHandler(logs, nil))}, logs}
}

// event returns a testdata event with {{TOKEN}} replaced.
func event(t *testing.T, name, token string) json.RawMessage {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return json.RawMessage(strings.ReplaceAll(string(b), "{{TOKEN}}", token))
}

func readFile(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func (f fixture) call(t *testing.T, ev json.RawMessage) (string, error) {
	resp, err := f.a.handle(context.Background(), ev)
	if err != nil {
		assert.Nil(t, resp)
		return "", err
	}
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	return string(b), nil
}

func TestAllow(t *testing.T) {
	f := newFixture(t)
	token := f.pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.WithGroups("editors"))

	got, err := f.call(t, event(t, "token-event.json", token))
	require.NoError(t, err)
	assert.JSONEq(t, readFile(t, "token-allow-response.json"), got)

	got, err = f.call(t, event(t, "request-event.json", token))
	require.NoError(t, err)
	assert.JSONEq(t, readFile(t, "token-allow-response.json"), got)

	got, err = f.call(t, event(t, "httpapi-v2-event.json", token))
	require.NoError(t, err)
	assert.JSONEq(t, readFile(t, "httpapi-v2-allow-response.json"), got)

	_, payload, _ := strings.Cut(token, ".")
	assert.NotContains(t, f.logs.String(), payload[:40], "tokens are never logged")
	assert.Contains(t, f.logs.String(), `"msg":"allowed"`)
}

// Every rejected token gets exactly "Unauthorized" (API Gateway's 401), or
// isAuthorized false for simple responses.
func TestRejected(t *testing.T) {
	f := newFixture(t)
	tokens := map[string]string{
		"no token":      "",
		"garbage":       "not-a-token",
		"expired":       f.pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)),
		"ID token":      f.pool.IDToken(),
		"other client":  f.pool.AccessToken(cognitotest.WithClaim("client_id", "other")),
		"unknown kid":   f.pool.AccessToken(cognitotest.WithHeader("kid", "unknown")),
		"alg none":      "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.e30.",
		"basic scheme ": "Basic dXNlcjpwYXNz",
	}
	for name, token := range tokens {
		t.Run(name, func(t *testing.T) {
			for _, ev := range []string{"token-event.json", "request-event.json"} {
				raw := event(t, ev, token)
				if strings.HasPrefix(token, "Basic") {
					raw = json.RawMessage(strings.ReplaceAll(string(raw), "Bearer Basic", "Basic"))
				}
				_, err := f.call(t, raw)
				require.Error(t, err, ev)
				assert.Equal(t, "Unauthorized", err.Error(), ev)
			}
			got, err := f.call(t, event(t, "httpapi-v2-event.json", token))
			require.NoError(t, err)
			assert.JSONEq(t, `{"isAuthorized":false}`, got)
		})
	}
	assert.NotContains(t, f.logs.String(), tokens["expired"][40:90])
}

// Keys unavailable: an error other than "Unauthorized" (API Gateway's 500),
// for every event kind; never an Allow.
func TestCannotDecide(t *testing.T) {
	f := newFixture(t)
	f.pool.FailJWKS(503)
	token := f.pool.AccessToken()
	for _, ev := range []string{"token-event.json", "request-event.json", "httpapi-v2-event.json"} {
		_, err := f.call(t, event(t, ev, token))
		require.Error(t, err, ev)
		assert.NotEqual(t, "Unauthorized", err.Error(), ev)
	}
	assert.Contains(t, f.logs.String(), `"level":"ERROR"`)

	// A methodArn API Gateway would never send is a configuration error.
	raw := strings.Replace(string(event(t, "token-event.json", token)), "arn:aws:execute-api", "arn:aws:lambda", 1)
	_, err := f.call(t, json.RawMessage(raw))
	require.Error(t, err)
	assert.NotEqual(t, "Unauthorized", err.Error())

	for _, raw := range []string{`[]`, `{"type":"WEBSOCKET"}`, `{"type":"TOKEN","authorizationToken":5}`, `not json`} {
		_, err := f.call(t, json.RawMessage(raw))
		require.Error(t, err, raw)
		assert.NotEqual(t, "Unauthorized", err.Error(), raw)
	}
}

func TestNewAuthorizerFromEnv(t *testing.T) {
	pool := cognitotest.NewTestPool(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, pool.JWKS(), 0o600))
	env := map[string]string{
		"COGNITO_USER_POOL_ID": pool.PoolID,
		"COGNITO_CLIENT_IDS":   "other-client," + pool.ClientID,
		"COGNITO_JWKS_FILE":    jwks,
	}
	a, err := newAuthorizer(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	resp, err := a.handle(context.Background(), event(t, "token-event.json", pool.AccessToken()))
	require.NoError(t, err)
	assert.Equal(t, pool.Subject(cognitotest.DefaultUsername), resp.(cognito.AuthorizerResponse).PrincipalID)
	assert.Zero(t, pool.Requests(), "keys shipped in the file are never fetched")

	env["COGNITO_TOKEN_USE"] = "id"
	a, err = newAuthorizer(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, err = a.handle(context.Background(), event(t, "token-event.json", pool.AccessToken()))
	assert.EqualError(t, err, "Unauthorized")

	env["COGNITO_USER_POOL_ID"] = "bad"
	_, err = newAuthorizer(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	assert.Error(t, err)
}
