package cognito_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rejections say what happened in one read, never echoing the token.
func TestErrorsExplain(t *testing.T) {
	pool := newPool(t)
	other := newPool(t, cognitotest.WithPoolID("eu-west-1_OtherPool"))
	v := newVerifier(t, pool)
	token := pool.AccessToken()
	h, p, s := parts(token)
	cases := []struct {
		name   string
		token  string
		reason error
		want   string
	}{
		{"Bearer left in", "Bearer " + token, cognito.ErrMalformed, `starts with "Bearer "`},
		{"bearer lower case", "bearer " + token, cognito.ErrMalformed, `starts with "Bearer "`},
		{"trailing newline", token + "\n", cognito.ErrMalformed, "at the end of the token"},
		{"trailing space", token + " ", cognito.ErrMalformed, "at the end of the token"},
		{"leading space", " " + token, cognito.ErrMalformed, "at the start of the token"},
		{"space inside", h + "." + p[:10] + " " + p[10:] + "." + s, cognito.ErrMalformed, "inside the token"},
		{"padding", token + "==", cognito.ErrMalformed, "padding"},
		{"standard alphabet", h + "." + p + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s) + "+", cognito.ErrMalformed, "standard alphabet"},
		{"non-canonical", h + "." + p + "." + s[:len(s)-1] + flipLowBits(s[len(s)-1]), cognito.ErrMalformed, "not canonical"},
		{"another pool", other.AccessToken(), cognito.ErrKeyNotFound, `(unverified) iss is "` + other.Issuer() + `", and this verifier expects "` + pool.Issuer() + `"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireRejected(t, tc.reason, c, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), p[:40], "never the token")
		})
	}
	// A kid unknown to the right pool says nothing of issuers.
	_, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "nope")))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "unverified")
}

// Key-set failures name the bound that expired and show a short, sanitized
// excerpt of a non-200 body.
func TestKeyErrorsExplain(t *testing.T) {
	pool := newPool(t)
	pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("<Error><Code>AccessDenied</Code>\x00\x1b[31m" + strings.Repeat("x", 500) + "</Error>"))
	}))
	v := newVerifier(t, pool)
	c, err := v.Verify(ctx, pool.AccessToken())
	requireUnavailable(t, c, err)
	msg := err.Error()
	assert.Contains(t, msg, "403 Forbidden")
	assert.Contains(t, msg, "<Error><Code>AccessDenied</Code>")
	assert.NotContains(t, msg, "\x00")
	assert.NotContains(t, msg, "\x1b")
	assert.Less(t, len(msg), 400, "an excerpt, not the body")

	hang := newPool(t)
	hang.HangJWKS()
	v = newVerifier(t, hang, func(c *cognito.Config) { c.FetchTimeout = time.Millisecond })
	c, err = v.Verify(ctx, hang.AccessToken())
	requireUnavailable(t, c, err)
	assert.Contains(t, err.Error(), "FetchTimeout (1ms)")
}
