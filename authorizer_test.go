package cognito_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

type authzFixture struct {
	pool *cognitotest.Pool
	v    *cognito.Verifier
	a    *cognito.Authorizer
	logs *bytes.Buffer
}

func newAuthz(t *testing.T, cfg cognito.AuthorizerConfig, edit ...func(*cognito.Config)) authzFixture {
	t.Helper()
	pool := newPool(t)
	v := newVerifier(t, pool, edit...)
	logs := &bytes.Buffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	a, err := cognito.NewAuthorizer(v, cfg)
	require.NoError(t, err)
	return authzFixture{pool, v, a, logs}
}

// authzEvent returns testdata/authorizer/name with {{TOKEN}} replaced (and
// {{ARN}} by the method or route ARN when given).
func authzEvent(t *testing.T, name, token string, arn ...string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "authorizer", name))
	require.NoError(t, err)
	s := strings.ReplaceAll(string(b), "{{TOKEN}}", token)
	if len(arn) > 0 {
		s = strings.NewReplacer(
			"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/notes", arn[0],
			"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/notes/42", arn[0],
			"arn:aws:execute-api:us-east-1:123456789012:f6g7h8i9j0/$default/POST/notes", arn[0],
		).Replace(s)
	}
	return json.RawMessage(s)
}

// call runs Handle and returns the response's JSON; with an error the
// response must be nil.
func (f authzFixture) call(t *testing.T, ev json.RawMessage) (string, error) {
	t.Helper()
	resp, err := f.a.Handle(context.Background(), ev)
	if err != nil {
		assert.Nil(t, resp)
		return "", err
	}
	return string(mustJSON(t, resp)), nil
}

var authzEvents = []string{"token-event.json", "request-event.json", "httpapi-v2-event.json"}

func TestAuthorizerAllow(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{})
	token := f.pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.WithGroups("editors", "readers,admin"))
	for _, name := range authzEvents {
		t.Run(name, func(t *testing.T) {
			got, err := f.call(t, authzEvent(t, name, token))
			require.NoError(t, err)
			var v any
			require.NoError(t, json.Unmarshal([]byte(got), &v))
			golden(t, filepath.Join("authorizer", strings.TrimSuffix(name, "-event.json")+"-allow-response"), v)
		})
	}
	_, payload, _ := strings.Cut(token, ".")
	assert.NotContains(t, f.logs.String(), payload[:40], "tokens are never logged")
	assert.Contains(t, f.logs.String(), `"msg":"token allowed"`)
	assert.NotContains(t, f.logs.String(), `"level":"ERROR"`)
}

// Every missing or rejected token gets exactly "Unauthorized" (API
// Gateway's 401), for all three event kinds.
func TestAuthorizerRejected(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{})
	tokens := map[string]string{
		"no token":     "",
		"garbage":      "not-a-token",
		"expired":      f.pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)),
		"ID token":     f.pool.IDToken(),
		"other client": f.pool.AccessToken(cognitotest.WithClaim("client_id", "other")),
		"unknown kid":  f.pool.AccessToken(cognitotest.WithHeader("kid", "unknown")),
		"alg none":     "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.e30.",
		"tampered":     f.pool.AccessToken()[:200] + "x" + f.pool.AccessToken()[201:],
	}
	for name, token := range tokens {
		t.Run(name, func(t *testing.T) {
			for _, ev := range authzEvents {
				_, err := f.call(t, authzEvent(t, ev, token))
				require.Error(t, err, ev)
				assert.Equal(t, "Unauthorized", err.Error(), ev)
				assert.ErrorIs(t, err, cognito.ErrUnauthorized, ev)
			}
		})
	}
	t.Run("Basic scheme", func(t *testing.T) {
		for _, ev := range authzEvents {
			raw := strings.ReplaceAll(string(authzEvent(t, ev, "dXNlcjpwYXNz")), "Bearer dXNl", "Basic dXNl")
			raw = strings.ReplaceAll(raw, `"Authorization": "dXNl`, `"Authorization": "Basic dXNl`)
			require.Contains(t, raw, "Basic dXNl", ev)
			_, err := f.call(t, json.RawMessage(raw))
			assert.ErrorIs(t, err, cognito.ErrUnauthorized, ev)
		}
	})
	assert.NotContains(t, f.logs.String(), tokens["expired"][40:90])
	assert.NotContains(t, f.logs.String(), `"level":"ERROR"`, "a bad token is no server error")
}

// When the verifier cannot decide, the answer is an error other than
// "Unauthorized" (API Gateway's 500), never an Allow; so for events API
// Gateway would never send.
func TestAuthorizerCannotDecide(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{})
	f.pool.FailJWKS(503)
	token := f.pool.AccessToken()
	for _, ev := range authzEvents {
		_, err := f.call(t, authzEvent(t, ev, token))
		require.Error(t, err, ev)
		assert.NotErrorIs(t, err, cognito.ErrUnauthorized, ev)
		assert.ErrorIs(t, err, cognito.ErrKeysUnavailable, ev)
	}
	assert.Contains(t, f.logs.String(), `"level":"ERROR"`)

	f = newAuthz(t, cognito.AuthorizerConfig{})
	token = f.pool.AccessToken()
	for name, raw := range map[string]string{
		"not an execute-api ARN": strings.Replace(string(authzEvent(t, "token-event.json", token)), "arn:aws:execute-api", "arn:aws:lambda", 1),
		"stage wildcard":         string(authzEvent(t, "token-event.json", token, "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/notes")),
		"REQUEST, bad ARN":       string(authzEvent(t, "request-event.json", token, "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET")),
		"array":                  `[]`,
		"not JSON":               `not json`,
		"WebSocket":              `{"type":"WEBSOCKET"}`,
		"no type":                `{"authorizationToken":"x","methodArn":"y"}`,
		"TOKEN with a version":   `{"type":"TOKEN","version":"2.0"}`,
		"REQUEST version 3":      `{"type":"REQUEST","version":"3.0"}`,
		"token not a string":     `{"type":"TOKEN","authorizationToken":5}`,
		"headers not an object":  `{"type":"REQUEST","headers":[]}`,
		"2.0 headers not object": `{"type":"REQUEST","version":"2.0","headers":"x"}`,
	} {
		_, err := f.call(t, json.RawMessage(raw))
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, cognito.ErrUnauthorized, name)
	}

	// A verifier that answers nothing, or fails for a reason of its own.
	for name, v := range map[string]cognito.TokenVerifier{
		"no claims, no error": stubVerifier(func(context.Context, string) (*cognito.Claims, error) { return nil, nil }),
		"cancelled":           stubVerifier(func(ctx context.Context, _ string) (*cognito.Claims, error) { return nil, context.Canceled }),
		"unsure and rejected": stubVerifier(func(context.Context, string) (*cognito.Claims, error) {
			return nil, errors.Join(cognito.ErrKeysUnavailable, cognito.ErrInvalidToken)
		}),
	} {
		a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{})
		require.NoError(t, err)
		for _, ev := range authzEvents {
			resp, err := a.Handle(context.Background(), authzEvent(t, ev, token))
			require.Error(t, err, "%s %s", name, ev)
			assert.NotErrorIs(t, err, cognito.ErrUnauthorized, "%s %s", name, ev)
			assert.Nil(t, resp)
		}
	}
}

// Issue 15 §1: a REQUEST event with two Authorization headers is refused,
// whatever order Go's maps give. Both are valid tokens of different users,
// so any rule that picked one would allow.
func TestAuthorizerAmbiguousAuthorization(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{})
	alice := f.pool.AccessToken(cognitotest.WithUser("alice"))
	bob := f.pool.AccessToken(cognitotest.WithUser("bob"))
	arn := "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/notes"
	cases := map[string]struct {
		headers map[string]string
		multi   map[string][]string
		allowed string // the user allowed, "" for a refusal
	}{
		"two cases in headers":       {headers: map[string]string{"Authorization": alice, "authorization": bob}},
		"three cases in headers":     {headers: map[string]string{"Authorization": alice, "authorization": alice, "AUTHORIZATION": alice}},
		"two values":                 {multi: map[string][]string{"Authorization": {alice, bob}}},
		"two cases in multi":         {multi: map[string][]string{"Authorization": {alice}, "authorization": {bob}}},
		"headers and multi disagree": {headers: map[string]string{"Authorization": alice}, multi: map[string][]string{"Authorization": {bob}}},
		"header in another case":     {headers: map[string]string{"authorization": alice}, multi: map[string][]string{"aUtHoRiZaTiOn": {alice}}, allowed: "alice"},
		"multi only":                 {multi: map[string][]string{"Authorization": {bob}}, allowed: "bob"},
		"headers only":               {headers: map[string]string{"AUTHORIZATION": "Bearer " + alice}, allowed: "alice"},
		"empty multi list":           {headers: map[string]string{"Authorization": bob}, multi: map[string][]string{"Authorization": {}}, allowed: "bob"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ev := cognito.RequestEvent{Type: "REQUEST", MethodARN: arn, Headers: tc.headers, MultiValueHeaders: tc.multi}
			for range 50 { // map order differs run to run; the answer may not
				resp, err := f.a.HandleRequest(context.Background(), ev)
				if tc.allowed == "" {
					require.ErrorIs(t, err, cognito.ErrUnauthorized)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, f.pool.Subject(tc.allowed), resp.PrincipalID)
			}
			// The same through Handle, as JSON.
			_, err := f.a.Handle(context.Background(), mustJSON(t, ev))
			if tc.allowed == "" {
				assert.ErrorIs(t, err, cognito.ErrUnauthorized)
			} else {
				assert.NoError(t, err)
			}
		})
	}
	// HTTP API 2.0 gives one lower-case header; two case variants are refused too.
	_, err := f.a.HandleHTTPAPI(context.Background(), cognito.HTTPAPIEvent{Version: "2.0", Type: "REQUEST",
		Headers: map[string]string{"authorization": alice, "Authorization": bob}})
	assert.ErrorIs(t, err, cognito.ErrUnauthorized)
}

const (
	restBase = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/"
	httpBase = "arn:aws:execute-api:us-east-1:123456789012:f6g7h8i9j0/$default/"
)

// Per-route requirements with one verifier. The policy covers every route
// at once (API Gateway caches it per token): it allows the stage and denies
// each route whose rule the token does not meet. Simple responses answer
// for the route of the event.
func TestAuthorizerRoutes(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{Routes: []cognito.Route{
		{Method: "DELETE", Resource: "/notes/*", Groups: []string{"admin", "editors"}},
		{Method: cognito.AllMethods, Resource: "admin/*", Groups: []string{"admin"}, Scopes: []string{"notes/admin"}},
		{Method: cognito.AllMethods, Resource: "/admin/audit", Scopes: []string{"notes/audit"}},
	}})
	type want struct {
		denied []string        // resources the policy denies
		routes map[string]bool // HTTP API route → authorized
	}
	cases := map[string]struct {
		opts []cognitotest.TokenOption
		want want
	}{
		"no groups": {nil, want{
			denied: []string{restBase + "DELETE/notes/*", restBase + "*/admin/*", restBase + "*/admin/audit"},
			routes: map[string]bool{"GET/notes": true, "DELETE/notes/1": false, "GET/admin/x": false, "POST/admin/audit": false, "GET/administrator": true},
		}},
		"editor": {[]cognitotest.TokenOption{cognitotest.WithGroups("editors")}, want{
			denied: []string{restBase + "*/admin/*", restBase + "*/admin/audit"},
			routes: map[string]bool{"DELETE/notes/1": true, "DELETE/notes/a/b": true, "GET/admin/x": false},
		}},
		"admin group without the admin scope": {[]cognitotest.TokenOption{cognitotest.WithGroups("admin")}, want{
			denied: []string{restBase + "*/admin/*", restBase + "*/admin/audit"},
			routes: map[string]bool{"DELETE/notes/1": true, "GET/admin/x": false},
		}},
		"admin with the admin scope": {[]cognitotest.TokenOption{cognitotest.WithGroups("admin"), cognitotest.WithScopes("notes/admin")}, want{
			denied: []string{restBase + "*/admin/audit"},
			routes: map[string]bool{"GET/admin/x": true, "GET/admin/audit": false, "DELETE/notes/1": true},
		}},
		"admin and auditor: every rule met": {[]cognitotest.TokenOption{cognitotest.WithGroups("admin"), cognitotest.WithScopes("notes/admin", "notes/audit")}, want{
			routes: map[string]bool{"GET/admin/x": true, "GET/admin/audit": true, "DELETE/notes/1": true},
		}},
		"a group named like a list": {[]cognitotest.TokenOption{cognitotest.WithGroups("admin,editors")}, want{
			denied: []string{restBase + "DELETE/notes/*", restBase + "*/admin/*", restBase + "*/admin/audit"},
			routes: map[string]bool{"DELETE/notes/1": false},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			token := f.pool.AccessToken(tc.opts...)
			resp, err := f.a.HandleToken(context.Background(), cognito.TokenEvent{Type: "TOKEN", AuthorizationToken: token, MethodARN: restBase + "GET/notes"})
			require.NoError(t, err)
			stmts := resp.PolicyDocument.Statement
			require.NotEmpty(t, stmts)
			assert.Equal(t, "Allow", stmts[0].Effect)
			assert.Equal(t, []string{restBase + "*/*"}, stmts[0].Resource)
			var denied []string
			for _, s := range stmts[1:] {
				require.Equal(t, "Deny", s.Effect)
				denied = append(denied, s.Resource...)
			}
			assert.ElementsMatch(t, tc.want.denied, denied)

			for route, ok := range tc.want.routes {
				simple, err := f.a.HandleHTTPAPI(context.Background(), cognito.HTTPAPIEvent{Version: "2.0", Type: "REQUEST",
					RouteARN: httpBase + route, Headers: map[string]string{"authorization": "Bearer " + token}})
				require.NoError(t, err, route)
				assert.Equal(t, ok, simple.IsAuthorized, route)
				assert.Equal(t, ok, simple.Context != nil, route)
			}
		})
	}
	// With Routes, the route ARN decides: one API Gateway would not send is
	// a 500, never a guess.
	for _, arn := range []string{"", httpBase + "GET/notes/*", "arn:aws:execute-api:us-east-1:123456789012:f6g7h8i9j0/$default/$default"} {
		_, err := f.a.HandleHTTPAPI(context.Background(), cognito.HTTPAPIEvent{Version: "2.0", Type: "REQUEST",
			RouteARN: arn, Headers: map[string]string{"authorization": f.pool.AccessToken()}})
		require.Error(t, err, arn)
		assert.NotErrorIs(t, err, cognito.ErrUnauthorized, arn)
	}
}

// The authorizer answers like the middleware: 401 where it says 401, 403
// where it says 403, 500 where it says 500, and lets through what it lets
// through; for verifier rules and route rules alike.
func TestAuthorizerAgreesWithMiddleware(t *testing.T) {
	route := cognito.Route{Method: "DELETE", Resource: "/notes/*", Groups: []string{"admin"}}
	f := newAuthz(t, cognito.AuthorizerConfig{Routes: []cognito.Route{route}}, func(c *cognito.Config) { c.Scopes = []string{"notes/read"} })
	handler := f.v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	admin := f.v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), cognito.RequireGroups("admin"))

	reader := f.pool.AccessToken(cognitotest.WithScopes("notes/read"))
	cases := []struct {
		name   string
		token  string
		delete bool // DELETE /notes/1, behind the admin rule
		status int
	}{
		{"valid", reader, false, 200},
		{"valid, admin route", reader, true, 403},
		{"admin, admin route", f.pool.AccessToken(cognitotest.WithScopes("notes/read"), cognitotest.WithGroups("admin")), true, 200},
		{"verifier scope missing", f.pool.AccessToken(), false, 403},
		{"verifier scope missing, admin route", f.pool.AccessToken(cognitotest.WithGroups("admin")), true, 403},
		{"expired", f.pool.AccessToken(cognitotest.WithScopes("notes/read"), cognitotest.ExpiresIn(-time.Second)), false, 401},
		{"no token", "", false, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path, h := "GET", "/notes", handler
			if tc.delete {
				method, path, h = "DELETE", "/notes/1", admin
			}
			req := httptest.NewRequest(method, path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tc.status, rec.Code, "the middleware's answer")

			// REST: the policy, evaluated as API Gateway does for this method.
			resp, err := f.a.HandleToken(context.Background(), cognito.TokenEvent{Type: "TOKEN", AuthorizationToken: tc.token, MethodARN: restBase + method + path})
			assert.Equal(t, tc.status, restStatus(t, resp, err, restBase+method+path), "REST")

			// HTTP API: the simple response for this route.
			simple, err := f.a.HandleHTTPAPI(context.Background(), cognito.HTTPAPIEvent{Version: "2.0", Type: "REQUEST",
				RouteARN: httpBase + method + path, Headers: map[string]string{"authorization": tc.token}})
			status := 200
			switch {
			case errors.Is(err, cognito.ErrUnauthorized):
				status = 401
			case err != nil:
				status = 500
			case !simple.IsAuthorized:
				status = 403
			}
			assert.Equal(t, tc.status, status, "HTTP API")
		})
	}
}

// restStatus is what API Gateway answers for a REST authorizer's answer:
// 401 for "Unauthorized", 500 for other errors, 403 unless an Allow and no
// Deny statement matches the method ARN.
func restStatus(t *testing.T, resp cognito.AuthorizerResponse, err error, methodARN string) int {
	t.Helper()
	if errors.Is(err, cognito.ErrUnauthorized) {
		return 401
	}
	if err != nil {
		return 500
	}
	allowed := false
	for _, s := range resp.PolicyDocument.Statement {
		for _, r := range s.Resource {
			if arnGlob(r, methodARN) {
				if s.Effect == "Deny" {
					return 403
				}
				allowed = true
			}
		}
	}
	if !allowed {
		return 403
	}
	return 200
}

// arnGlob is IAM's match of a resource with * against an ARN, written
// independently of the library's.
func arnGlob(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	if pattern[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if arnGlob(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && pattern[0] == s[0] && arnGlob(pattern[1:], s[1:])
}

// A token the verifier rejects for its groups or scopes only is forbidden
// (403) everywhere: Deny on the whole stage, isAuthorized false.
func TestAuthorizerVerifierGroups(t *testing.T) {
	f := newAuthz(t, cognito.AuthorizerConfig{}, func(c *cognito.Config) { c.Groups = []string{"admin"} })
	token := f.pool.AccessToken(cognitotest.WithGroups("readers"))
	got, err := f.call(t, authzEvent(t, "token-event.json", token))
	require.NoError(t, err)
	assert.JSONEq(t, `{"principalId":"forbidden","policyDocument":{"Version":"2012-10-17","Statement":[
		{"Action":["execute-api:Invoke"],"Effect":"Deny","Resource":["`+restBase+`*/*"]}]}}`, got)
	got, err = f.call(t, authzEvent(t, "httpapi-v2-event.json", token))
	require.NoError(t, err)
	assert.JSONEq(t, `{"isAuthorized":false}`, got)

	got, err = f.call(t, authzEvent(t, "request-event.json", f.pool.AccessToken(cognitotest.WithGroups("admin"))))
	require.NoError(t, err)
	assert.Contains(t, got, `"Effect":"Allow"`)
}

func TestNewAuthorizerRejects(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	_, err := cognito.NewAuthorizer(nil, cognito.AuthorizerConfig{})
	assert.Error(t, err)
	var nilVerifier *cognito.Verifier
	_, err = cognito.NewAuthorizer(verifierOrNil(nilVerifier), cognito.AuthorizerConfig{})
	assert.Error(t, err, "a nil *Verifier in the interface")
	for name, r := range map[string]cognito.Route{
		"nothing required":   {Method: "GET", Resource: "/notes"},
		"empty group":        {Method: "GET", Resource: "/notes", Groups: []string{""}},
		"empty scope":        {Method: "GET", Resource: "/notes", Groups: []string{"a"}, Scopes: []string{"b", ""}},
		"bad method":         {Method: "FETCH", Resource: "/notes", Groups: []string{"a"}},
		"lower-case method":  {Method: "get", Resource: "/notes", Groups: []string{"a"}},
		"no method":          {Resource: "/notes", Groups: []string{"a"}},
		"template resource":  {Method: "GET", Resource: "/notes/{id}", Groups: []string{"a"}},
		"question mark":      {Method: "GET", Resource: "/notes/?", Groups: []string{"a"}},
		"dot-dot":            {Method: "GET", Resource: "/notes/../admin", Groups: []string{"a"}},
		"space in resource":  {Method: "GET", Resource: "/no tes", Groups: []string{"a"}},
		"empty path segment": {Method: "GET", Resource: "/notes//x", Groups: []string{"a"}},
	} {
		_, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{Routes: []cognito.Route{{Method: "GET", Resource: "/", Groups: []string{"ok"}}, r}})
		assert.ErrorContains(t, err, "Routes[1]", name)
	}

	// The config is copied: changing it later changes nothing.
	routes := []cognito.Route{{Method: "GET", Resource: "/admin", Groups: []string{"admin"}}}
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{Routes: routes})
	require.NoError(t, err)
	routes[0].Groups[0] = "readers"
	routes[0].Resource = "/other"
	resp, err := a.HandleToken(context.Background(), cognito.TokenEvent{Type: "TOKEN", AuthorizationToken: pool.AccessToken(cognitotest.WithGroups("readers")), MethodARN: restBase + "GET/admin"})
	require.NoError(t, err)
	require.Len(t, resp.PolicyDocument.Statement, 2)
	assert.Equal(t, []string{restBase + "GET/admin"}, resp.PolicyDocument.Statement[1].Resource)
}

// stubVerifier is a TokenVerifier answering as its function does.
type stubVerifier func(context.Context, string) (*cognito.Claims, error)

func (f stubVerifier) Verify(ctx context.Context, token string) (*cognito.Claims, error) {
	return f(ctx, token)
}

// verifierOrNil returns v as a TokenVerifier, nil pointer included.
func verifierOrNil(v *cognito.Verifier) cognito.TokenVerifier { return v }
