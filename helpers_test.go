package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/require"
)

// fixedNow is the clock of every test that does not move time itself.
var fixedNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func newPool(t testing.TB, opts ...cognitotest.Option) *cognitotest.Pool {
	t.Helper()
	return cognitotest.NewTestPool(t, append([]cognitotest.Option{cognitotest.WithClock(clock)}, opts...)...)
}

func newVerifier(t testing.TB, pool *cognitotest.Pool, edit ...func(*cognito.Config)) *cognito.Verifier {
	t.Helper()
	cfg := pool.Config()
	for _, e := range edit {
		e(&cfg)
	}
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	return v
}

// accessClaims returns the claims the pool puts in an access token at
// fixedNow, for tests that craft payloads byte by byte.
func accessClaims(pool *cognitotest.Pool) map[string]any {
	return map[string]any{
		"sub":        pool.Subject("alice"),
		"iss":        pool.Issuer(),
		"client_id":  pool.ClientID,
		"origin_jti": "6b5a3c1e-0000-4000-8000-000000000001",
		"event_id":   "6b5a3c1e-0000-4000-8000-000000000002",
		"token_use":  "access",
		"scope":      "aws.cognito.signin.user.admin",
		"auth_time":  fixedNow.Unix(),
		"exp":        fixedNow.Add(time.Hour).Unix(),
		"iat":        fixedNow.Unix(),
		"jti":        "6b5a3c1e-0000-4000-8000-000000000003",
		"username":   "alice",
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// goodHeader is the header Cognito sends, with the pool's access kid.
func goodHeader(t testing.TB, pool *cognitotest.Pool) []byte {
	return mustJSON(t, map[string]string{"kid": pool.AccessKeyID(), "alg": "RS256"})
}

// signClaims signs claims (a map, or raw JSON as []byte or string) under the
// normal header.
func signClaims(t testing.TB, pool *cognitotest.Pool, claims any) string {
	t.Helper()
	var payload []byte
	switch c := claims.(type) {
	case []byte:
		payload = c
	case string:
		payload = []byte(c)
	default:
		payload = mustJSON(t, c)
	}
	return pool.Sign(goodHeader(t, pool), payload)
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// requireRejected asserts a token rejection for reason, with no claims, and
// that the error is never confused with the other family.
func requireRejected(t testing.TB, reason error, claims *cognito.Claims, err error) {
	t.Helper()
	require.Error(t, err)
	require.Nil(t, claims, "claims returned with an error")
	require.ErrorIs(t, err, cognito.ErrInvalidToken)
	require.ErrorIs(t, err, reason, "got %v", err)
	require.NotErrorIs(t, err, cognito.ErrKeysUnavailable)
	var te *cognito.TokenError
	require.True(t, errors.As(err, &te))
}

// requireOutcome asserts acceptance when reason is nil, else rejection for
// reason.
func requireOutcome(t testing.TB, reason error, claims *cognito.Claims, err error) {
	t.Helper()
	if reason == nil {
		require.NoError(t, err)
		require.NotNil(t, claims)
		return
	}
	requireRejected(t, reason, claims, err)
}

func requireUnavailable(t testing.TB, claims *cognito.Claims, err error) {
	t.Helper()
	require.Error(t, err)
	require.Nil(t, claims)
	require.ErrorIs(t, err, cognito.ErrKeysUnavailable, "got %v", err)
	require.NotErrorIs(t, err, cognito.ErrInvalidToken)
}

var ctx = context.Background()

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
