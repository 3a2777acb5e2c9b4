package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/envconfig"
	"github.com/cognito-verify/cognito/examples/internal/localaws"
	"github.com/cognito-verify/cognito/examples/internal/notesserver"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/cognito-verify/cognito/examples/notes/proxy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const howTo = `COGNITO_LOCAL_ENDPOINT and DYNAMODB_ENDPOINT are not set, so the end-to-end test is skipped. To run it:
  npm install --prefix /tmp/emu --no-save cognito-local@5.3.0 dynalite@4.0.0
  mkdir -p /tmp/emu/run/.cognito && echo '{"TokenConfig":{"IssuerDomain":"http://127.0.0.1:9229"}}' > /tmp/emu/run/.cognito/config.json
  (cd /tmp/emu/run && ../node_modules/.bin/cognito-local) & /tmp/emu/node_modules/.bin/dynalite --port 4567 &
  COGNITO_LOCAL_ENDPOINT=http://127.0.0.1:9229 DYNAMODB_ENDPOINT=http://127.0.0.1:4567 go test ./examples/notes-local
(.ci/run does this; cognito-local's IssuerDomain must be the endpoint)`

// endpoints returns the emulators' URLs, or skips the test with how to
// start them; in CI (CI set) they must be there.
func endpoints(t *testing.T) (cognitoURL, dynamoURL string) {
	cognitoURL, dynamoURL = os.Getenv("COGNITO_LOCAL_ENDPOINT"), os.Getenv("DYNAMODB_ENDPOINT")
	if cognitoURL == "" || dynamoURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("in CI the emulators must run: " + howTo)
		}
		t.Skip(howTo)
	}
	return cognitoURL, dynamoURL
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// The seed's whole flow on real parts: a user signs up and signs in through
// cognito-local's API with the AWS SDK, calls the Notes API with the real
// access token, and the note is in the DynamoDB table under the user's sub.
// ID, expired and tampered tokens get 401. Then the same token through the
// Lambda pair: the authorizer handler, then the notes function with the
// proxy event API Gateway would build from the authorizer's answer.
func TestEndToEnd(t *testing.T) {
	cognitoURL, dynamoURL := endpoints(t)
	ctx := context.Background()
	suffix := randomSuffix()

	pool, err := localaws.CreatePool(ctx, cognitoURL, "e2e-"+suffix)
	require.NoError(t, err)
	email, password := "alice-"+suffix+"@example.com", "a-long-passphrase-"+suffix
	sub, err := pool.SignUp(ctx, email, password)
	require.NoError(t, err)
	tokens, err := pool.SignIn(ctx, "", email, password)
	require.NoError(t, err)
	// A second app client whose tokens expire as they are issued: an expired
	// token without waiting for one to expire.
	instant, err := pool.CreateClient(ctx, "instant-"+suffix, 0)
	require.NoError(t, err)
	expired, err := pool.SignIn(ctx, instant, email, password)
	require.NoError(t, err)

	table := "Notes-e2e-" + suffix
	store := dynamo.NewLocal(dynamoURL, table)
	require.NoError(t, store.CreateTable(ctx))
	t.Setenv("AWS_ACCESS_KEY_ID", localaws.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", localaws.SecretKey)
	t.Setenv("AWS_REGION", localaws.Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	environ := append(pool.Environ(), envconfig.ClientIDs+"="+pool.ClientID+","+instant,
		"NOTES_TABLE="+table, "DYNAMODB_ENDPOINT="+dynamoURL)

	t.Run("notes server", func(t *testing.T) {
		base := serve(t, environ)
		status, body := call(t, "POST", base+"/notes", tokens.Access, `{"noteid":"1","note":"hello from alice"}`)
		require.Equal(t, 201, status, body)
		status, body = call(t, "GET", base+"/notes", tokens.Access, "")
		require.Equal(t, 200, status)
		assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"hello from alice"}]}`, body)
		status, body = call(t, "GET", base+"/notes/1", "Bearer "+tokens.Access, "")
		require.Equal(t, 200, status)
		assert.JSONEq(t, `{"noteid":"1","note":"hello from alice"}`, body)

		stored, err := store.List(ctx, sub)
		require.NoError(t, err)
		assert.Equal(t, []notes.Note{{NoteID: "1", Note: "hello from alice"}}, stored, "under the sub cognito-local gave the user")

		for name, tc := range map[string]struct{ token, says string }{
			"ID token":          {tokens.ID, "token_use mismatch"},
			"expired":           {expired.Access, "token is expired"},
			"tampered payload":  {tamperPayload(t, tokens.Access), "invalid signature"},
			"tampered sig":      {tamperSignature(tokens.Access), "invalid signature"},
			"no token":          {"", "a bearer token is required"},
			"other pool's user": {otherPoolToken(t, ctx, cognitoURL, suffix), "issuer mismatch"},
		} {
			status, body := call(t, "GET", base+"/notes", tc.token, "")
			assert.Equal(t, 401, status, name)
			assert.Contains(t, body, tc.says, name)
		}
		status, _ = call(t, "GET", base+"/notes", expired.ID, "")
		assert.Equal(t, 401, status)
	})

	t.Run("Lambda pair", func(t *testing.T) {
		cfg, err := envconfig.Load(getenv(environ))
		require.NoError(t, err)
		v, err := cognito.NewVerifier(cfg)
		require.NoError(t, err)
		authorizer, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{})
		require.NoError(t, err)
		fn := proxy.New(store, slog.New(slog.DiscardHandler))
		const methodARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/notes"

		// REST: TOKEN authorizer, then the proxy event with its answer.
		raw := mustJSON(t, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: tokens.Access, MethodArn: methodARN})
		out, err := authorizer.Handle(ctx, raw)
		require.NoError(t, err)
		policy := out.(cognito.AuthorizerResponse)
		assert.Equal(t, sub, policy.PrincipalID)
		assert.Equal(t, "Allow", policy.PolicyDocument.Statement[0].Effect)
		authz := map[string]any{"principalId": policy.PrincipalID}
		for k, v := range policy.Context {
			authz[k] = v
		}
		rest := events.APIGatewayProxyRequest{Resource: "/notes", Path: "/notes", HTTPMethod: "POST",
			Body: `{"noteid":"2","note":"via Lambda"}`, RequestContext: events.APIGatewayProxyRequestContext{Authorizer: authz, Stage: "prod"}}
		resp, err := fn.Handle(ctx, mustJSON(t, rest))
		require.NoError(t, err)
		assert.Equal(t, 201, resp.(events.APIGatewayProxyResponse).StatusCode)

		// HTTP API 2.0: simple response, then the proxy event with its context.
		raw = mustJSON(t, events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST",
			RouteArn: "arn:aws:execute-api:us-east-1:123456789012:f6g7h8i9j0/$default/GET/notes",
			Headers:  map[string]string{"authorization": "Bearer " + tokens.Access}})
		out, err = authorizer.Handle(ctx, raw)
		require.NoError(t, err)
		simple := out.(cognito.SimpleResponse)
		require.True(t, simple.IsAuthorized)
		httpEv := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/notes", RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/notes"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: simple.Context}}}
		resp, err = fn.Handle(ctx, mustJSON(t, httpEv))
		require.NoError(t, err)
		r := resp.(events.APIGatewayV2HTTPResponse)
		assert.Equal(t, 200, r.StatusCode)
		assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"hello from alice"},{"noteid":"2","note":"via Lambda"}]}`, r.Body)

		stored, err := store.List(ctx, sub)
		require.NoError(t, err)
		assert.Len(t, stored, 2, "the Lambda's note is under the same sub")

		for name, token := range map[string]string{"ID token": tokens.ID, "expired": expired.Access, "tampered": tamperSignature(tokens.Access)} {
			for _, ev := range []any{
				events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: methodARN},
				events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST", MethodArn: methodARN, Headers: map[string]string{"Authorization": token}},
				events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", Headers: map[string]string{"authorization": token}},
			} {
				out, err := authorizer.Handle(ctx, mustJSON(t, ev))
				assert.Nil(t, out, name)
				assert.ErrorIs(t, err, cognito.ErrUnauthorized, name)
			}
		}
	})
}

// serve runs the Notes server on DynamoDB (notes-dynamodb's configuration)
// until the test ends and returns its base URL.
func serve(t *testing.T, environ []string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- notesserver.Run(ctx, notesserver.Options{
			Name: "e2e", Args: []string{"-addr", "127.0.0.1:0"}, Environ: environ, Out: io.Discard, Logs: io.Discard,
			Store: func(ctx context.Context, getenv func(string) string) (notes.Store, string, error) {
				s, err := dynamo.FromEnv(ctx, getenv)
				return s, "in DynamoDB", err
			},
			Ready: func(base string) { ready <- base },
		})
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case base := <-ready:
		return base
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
		return ""
	}
}

func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		if !strings.HasPrefix(token, "Bearer ") {
			token = "Bearer " + token
		}
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// tamperPayload re-encodes the payload with another sub, keeping the
// signature: what an attacker who wants to be someone else would send.
func tamperPayload(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	claims["sub"] = "00000000-0000-4000-8000-000000000000"
	parts[1] = base64.RawURLEncoding.EncodeToString(mustJSON(t, claims))
	return strings.Join(parts, ".")
}

// tamperSignature changes one signature byte.
func tamperSignature(token string) string {
	i := strings.LastIndexByte(token, '.') + 5
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// otherPoolToken is a valid token of another pool of the same emulator,
// signed by the same key: only the issuer tells it apart.
func otherPoolToken(t *testing.T, ctx context.Context, cognitoURL, suffix string) string {
	other, err := localaws.CreatePool(ctx, cognitoURL, "e2e-other-"+suffix)
	require.NoError(t, err)
	_, err = other.SignUp(ctx, "mallory-"+suffix+"@example.com", "another-long-passphrase")
	require.NoError(t, err)
	tok, err := other.SignIn(ctx, "", "mallory-"+suffix+"@example.com", "another-long-passphrase")
	require.NoError(t, err)
	return tok.Access
}

func getenv(environ []string) func(string) string {
	return func(k string) string {
		value := "" // the last one counts, as in the server
		for _, kv := range environ {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				value = v
			}
		}
		return value
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
