package cognito_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// whoami answers the verified subject; it fails the request loudly if it
// is ever reached without claims.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := cognito.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusTeapot)
		return
	}
	_, _ = fmt.Fprint(w, c.Subject)
})

type result struct {
	status int
	wwwAuth,
	body string
	json map[string]string
}

func serve(h http.Handler, method, target string, headers ...string) result {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := result{status: w.Code, wwwAuth: w.Header().Get("WWW-Authenticate"), body: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &res.json)
	return res
}

// T-96, T-97, T-98 and the RFC 6750 answers.
func TestMiddleware(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	h := v.Middleware(whoami)
	token := pool.AccessToken(cognitotest.WithUser("alice"))
	sub := pool.Subject("alice")

	cases := []struct {
		name    string
		target  string
		headers []string
		status  int
		wwwAuth string // prefix
		errCode string
	}{
		{"Bearer", "/", []string{"Authorization", "Bearer " + token}, 200, "", ""},
		{"bearer lower case", "/", []string{"Authorization", "bearer " + token}, 200, "", ""},
		{"BEARER two spaces", "/", []string{"Authorization", "BEARER  " + token}, 200, "", ""},
		{"bare token", "/", []string{"Authorization", token}, 200, "", ""},
		{"surrounding spaces", "/", []string{"Authorization", "  Bearer " + token + " "}, 200, "", ""},
		{"T-96 no header", "/", nil, 401, "Bearer", "unauthorized"},
		{"T-96 empty header", "/", []string{"Authorization", ""}, 401, "Bearer", "unauthorized"},
		{"Bearer without token", "/", []string{"Authorization", "Bearer"}, 401, "Bearer", "unauthorized"},
		{"T-97 Basic", "/", []string{"Authorization", "Basic dXNlcjpwYXNz"}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"T-97 Bearerx", "/", []string{"Authorization", "Bearerx" + token}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"expired", "/", []string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.ExpiresIn(-time.Minute))}, 401, `Bearer error="invalid_token", error_description="token is expired"`, "invalid_token"},
		{"ID token", "/", []string{"Authorization", "Bearer " + pool.IDToken()}, 401, `Bearer error="invalid_token"`, "invalid_token"},
		{"garbage", "/", []string{"Authorization", "Bearer not-a-jwt"}, 401, `Bearer error="invalid_token", error_description="malformed token"`, "invalid_token"},
		{"T-98 two headers", "/", []string{"Authorization", "Bearer " + token, "Authorization", "Bearer " + token}, 400, `Bearer error="invalid_request"`, "invalid_request"},
		{"T-98 query token", "/?access_token=" + token, nil, 400, `Bearer error="invalid_request"`, "invalid_request"},
		{"T-98 query and header", "/?access_token=x", []string{"Authorization", "Bearer " + token}, 400, `Bearer error="invalid_request"`, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(h, "GET", tc.target, tc.headers...)
			require.Equal(t, tc.status, res.status, res.body)
			if tc.status == 200 {
				assert.Equal(t, sub, res.body)
				return
			}
			assert.True(t, strings.HasPrefix(res.wwwAuth, tc.wwwAuth), "WWW-Authenticate %q", res.wwwAuth)
			if tc.wwwAuth == "Bearer" {
				assert.Equal(t, "Bearer", res.wwwAuth, "no error attribute without credentials")
			}
			assert.Equal(t, tc.errCode, res.json["error"], res.body)
			assert.NotEmpty(t, res.json["error_description"])
			assert.NotContains(t, res.body, token[20:60], "the token is never echoed")
		})
	}
}

// 403 for groups and scopes, from the verifier's config or per route.
func TestMiddlewareInsufficientScope(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken(cognitotest.WithGroups("users"), cognitotest.WithScopes("notes/read"))

	strict := newVerifier(t, pool, func(c *cognito.Config) { c.Groups = []string{"admin"} })
	res := serve(strict.Middleware(whoami), "GET", "/", "Authorization", "Bearer "+token)
	assert.Equal(t, 403, res.status)
	assert.Contains(t, res.wwwAuth, `error="insufficient_scope"`)
	assert.Equal(t, "insufficient_scope", res.json["error"])

	v := newVerifier(t, pool)
	for name, tc := range map[string]struct {
		opts   []cognito.MiddlewareOption
		status int
	}{
		"group held":                      {[]cognito.MiddlewareOption{cognito.RequireGroups("admin", "users")}, 200},
		"group missing":                   {[]cognito.MiddlewareOption{cognito.RequireGroups("admin")}, 403},
		"scope granted":                   {[]cognito.MiddlewareOption{cognito.RequireScopes("notes/read")}, 200},
		"scope missing":                   {[]cognito.MiddlewareOption{cognito.RequireScopes("notes/write")}, 403},
		"both, one missing":               {[]cognito.MiddlewareOption{cognito.RequireGroups("users"), cognito.RequireScopes("notes/write")}, 403},
		"C-05 two group rules, one held":  {[]cognito.MiddlewareOption{cognito.RequireGroups("users"), cognito.RequireGroups("mfa-verified")}, 403},
		"C-05 two group rules, both held": {[]cognito.MiddlewareOption{cognito.RequireGroups("admin", "users"), cognito.RequireGroups("users")}, 200},
		"C-05 two scope rules, one held":  {[]cognito.MiddlewareOption{cognito.RequireScopes("notes/read"), cognito.RequireScopes("notes/write")}, 403},
		"group and scope rules held":      {[]cognito.MiddlewareOption{cognito.RequireGroups("users"), cognito.RequireScopes("notes/read", "x")}, 200},
	} {
		t.Run(name, func(t *testing.T) {
			res := serve(v.Middleware(whoami, tc.opts...), "GET", "/", "Authorization", "Bearer "+token)
			assert.Equal(t, tc.status, res.status, res.body)
			if tc.status == 403 {
				assert.Contains(t, res.wwwAuth, `error="insufficient_scope"`)
			}
		})
	}
}

// C-04: a rule that would admit everyone is refused when the middleware is
// built.
func TestMiddlewareEmptyRule(t *testing.T) {
	v := newVerifier(t, newPool(t))
	for name, opt := range map[string]cognito.MiddlewareOption{
		"empty group":     cognito.RequireGroups(""),
		"empty scope":     cognito.RequireScopes(""),
		"one of empty":    cognito.RequireGroups("admin", ""),
		"no group":        cognito.RequireGroups(),
		"no scope":        cognito.RequireScopes(),
		"no token header": cognito.WithTokenHeader(" "),
	} {
		assert.Panics(t, func() { v.Middleware(whoami, opt) }, name)
	}
}

// Keys unavailable is a 500, never a 401 and never a pass-through.
func TestMiddlewareKeysUnavailable(t *testing.T) {
	pool := newPool(t)
	pool.FailJWKS(503)
	var logs bytes.Buffer
	v := newVerifier(t, pool)
	h := v.Middleware(whoami, cognito.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	token := pool.AccessToken()
	res := serve(h, "GET", "/", "Authorization", "Bearer "+token)
	assert.Equal(t, 500, res.status)
	assert.Empty(t, res.wwwAuth)
	assert.Equal(t, "server_error", res.json["error"])
	assert.Contains(t, logs.String(), `"level":"ERROR"`)
	assert.Contains(t, logs.String(), "signing keys unavailable")
	_, payload, _ := parts(token)
	assert.NotContains(t, logs.String(), payload, "tokens are never logged")
}

// A verifier of another kind: its errors are classified by family only,
// and "unsure" wins over "invalid".
func TestMiddlewareCustomVerifier(t *testing.T) {
	cases := []struct {
		err    error
		claims *cognito.Claims
		status int
	}{
		{fmt.Errorf("custom: %w", cognito.ErrInvalidToken), nil, 401},
		{errors.Join(cognito.ErrInvalidToken, cognito.ErrKeysUnavailable), nil, 500},
		{errors.New("database down"), nil, 500},
		{context.Canceled, nil, 500},
		{nil, nil, 500}, // no error and no claims: never pass through
		{nil, &cognito.Claims{Subject: "s"}, 200},
	}
	for _, tc := range cases {
		h := cognito.Middleware(verifierFunc(func(context.Context, string) (*cognito.Claims, error) { return tc.claims, tc.err }), whoami)
		res := serve(h, "GET", "/", "Authorization", "Bearer x.y.z")
		assert.Equal(t, tc.status, res.status, "%v", tc.err)
	}
	assert.Panics(t, func() { cognito.Middleware(nil, whoami) })
}

type verifierFunc func(context.Context, string) (*cognito.Claims, error)

func (f verifierFunc) Verify(ctx context.Context, token string) (*cognito.Claims, error) {
	return f(ctx, token)
}

func TestClaimsFromContextEmpty(t *testing.T) {
	c, ok := cognito.ClaimsFromContext(context.Background())
	assert.False(t, ok)
	assert.Nil(t, c)
}

// The middleware in a real server, over a real connection.
func ExampleVerifier_Middleware() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := cognito.ClaimsFromContext(r.Context())
		fmt.Fprintln(w, "hello", claims.Username)
	})
	srv := httptest.NewServer(v.Middleware(mux))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+pool.AccessToken(cognitotest.WithUser("alice")))
	resp, _ := http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))

	resp, _ = http.Get(srv.URL + "/me")
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 200 hello alice
	// 401 Bearer
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		in, token string
		ok        bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc", "abc", true},
		{" \tBearer abc\t ", "abc", true},
		{"abc", "abc", true},
		{"", "", false},
		{"   ", "", false},
		{"Bearer", "", false},
		{"Bearer   ", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Token abc", "", false},
		{"Bearerabc", "Bearerabc", true}, // a bare "token" that Verify then rejects
	}
	for _, tc := range cases {
		token, ok := cognito.BearerToken(tc.in)
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.token, token, "%q", tc.in)
	}
}
