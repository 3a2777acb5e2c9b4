package cognito_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// anonymousOK answers "anonymous" without claims and the subject with them.
var anonymousOK = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := cognito.ClaimsFromContext(r.Context()); ok {
		_, _ = fmt.Fprint(w, c.Subject)
		return
	}
	_, _ = fmt.Fprint(w, "anonymous")
})

func TestMiddlewareOptional(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	h := v.Middleware(anonymousOK, cognito.Optional(), cognito.RequireGroups("users"))
	cases := []struct {
		name    string
		headers []string
		status  int
		body    string
	}{
		{"no token: anonymous", nil, 200, "anonymous"},
		{"valid token: claims", []string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.WithGroups("users"))}, 200, pool.Subject("alice")},
		{"bad token: still 401", []string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.ExpiresIn(-time.Minute))}, 401, ""},
		{"rules still apply to a token", []string{"Authorization", "Bearer " + pool.AccessToken()}, 403, ""},
		{"other scheme: 401", []string{"Authorization", "Basic dXNlcjpwYXNz"}, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(h, "GET", "/", tc.headers...)
			assert.Equal(t, tc.status, res.status, res.body)
			if tc.status == 200 {
				assert.Equal(t, tc.body, res.body)
			}
		})
	}
}

// A CORS preflight carries no token by design: it reaches the next handler
// without claims. Anything else without a token is refused.
func TestMiddlewarePreflight(t *testing.T) {
	v := newVerifier(t, newPool(t))
	h := v.Middleware(anonymousOK)
	res := serve(h, "OPTIONS", "/notes", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	assert.Equal(t, 200, res.status)
	assert.Equal(t, "anonymous", res.body)
	for name, headers := range map[string][]string{
		"OPTIONS without Origin":         {"Access-Control-Request-Method", "POST"},
		"OPTIONS without request method": {"Origin", "https://app.example"},
	} {
		assert.Equal(t, 401, serve(h, "OPTIONS", "/notes", headers...).status, name)
	}
	assert.Equal(t, 401, serve(h, "POST", "/notes", "Origin", "https://app.example", "Access-Control-Request-Method", "POST").status)
}

// WithTokenHeader reads the whole value of another header (the ALB's
// x-amzn-oidc-data) and ignores Authorization.
func TestMiddlewareTokenHeader(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	h := v.Middleware(whoami, cognito.WithTokenHeader("x-amzn-oidc-accesstoken"))
	token := pool.AccessToken()
	cases := []struct {
		name    string
		headers []string
		status  int
	}{
		{"token in the header", []string{"X-Amzn-Oidc-Accesstoken", token}, 200},
		{"only Authorization", []string{"Authorization", "Bearer " + token}, 401},
		{"a scheme is not stripped", []string{"X-Amzn-Oidc-Accesstoken", "Bearer " + token}, 401},
		{"twice", []string{"X-Amzn-Oidc-Accesstoken", token, "X-Amzn-Oidc-Accesstoken", token}, 400},
	}
	for _, tc := range cases {
		res := serve(h, "GET", "/", tc.headers...)
		assert.Equal(t, tc.status, res.status, tc.name)
	}
}

// An inner middleware applies its rules to what the outer one verified,
// without verifying again, and a handler in between cannot change its
// decision by writing to the claims.
func TestMiddlewareNested(t *testing.T) {
	pool := newPool(t)
	calls := 0
	counting := verifierFunc(func(ctx2 context.Context, token string) (*cognito.Claims, error) {
		calls++
		return newVerifier(t, pool).Verify(ctx2, token)
	})
	inner := cognito.Middleware(counting, whoami, cognito.RequireGroups("admin"))
	meddler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := cognito.ClaimsFromContext(r.Context())
		c.Groups = append(c.Groups, "admin")
		inner.ServeHTTP(w, r)
	})
	outer := cognito.Middleware(counting, meddler)

	res := serve(outer, "GET", "/", "Authorization", "Bearer "+pool.AccessToken(cognitotest.WithGroups("users")))
	assert.Equal(t, 403, res.status, "the handler's append does not open the route")
	res = serve(outer, "GET", "/", "Authorization", "Bearer "+pool.AccessToken(cognitotest.WithGroups("admin")))
	assert.Equal(t, 200, res.status)
	assert.Equal(t, 2, calls, "one verification per request")
}

// Every refusal is logged with its reason, never with the token.
func TestMiddlewareLogsReasons(t *testing.T) {
	pool := newPool(t)
	var logs bytes.Buffer
	v := newVerifier(t, pool)
	h := v.Middleware(whoami, cognito.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	token := pool.AccessToken()
	for _, tc := range []struct {
		headers []string
		reason  string
	}{
		{[]string{"Authorization", "Basic dXNlcjpwYXNz"}, "the Authorization scheme is not Bearer"},
		{[]string{"Authorization", token, "Authorization", token}, "more than one Authorization header"},
		{nil, "a bearer token is required"},
		{[]string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.ExpiresIn(-time.Minute))}, "token is expired"},
	} {
		logs.Reset()
		serve(h, "GET", "/", tc.headers...)
		require.Contains(t, logs.String(), `"reason":"`+tc.reason+`"`)
		_, payload, _ := parts(token)
		assert.NotContains(t, logs.String(), payload)
	}
}
