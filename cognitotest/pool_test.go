package cognitotest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedNow is the pools' clock in these tests.
var fixedNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func newPool(t *testing.T, opts ...cognitotest.Option) *cognitotest.Pool {
	t.Helper()
	return cognitotest.NewTestPool(t, append([]cognitotest.Option{cognitotest.WithClock(clock)}, opts...)...)
}

// jwk is the members of a published key.
type jwk struct {
	Alg, E, Kid, Kty, N, Use string
}

func publishedKeys(t *testing.T, body []byte) []jwk {
	t.Helper()
	var set struct{ Keys []jwk }
	require.NoError(t, json.Unmarshal(body, &set))
	return set.Keys
}

func kids(keys []jwk) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Kid)
	}
	return out
}

// get fetches path on the pool's server with its client.
func fetchPool(t *testing.T, pool *cognitotest.Pool, url string) (int, string, []byte) {
	t.Helper()
	resp, err := pool.HTTPClient().Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func TestPoolOptions(t *testing.T) {
	cases := []struct {
		name     string
		opts     []cognitotest.Option
		poolID   string
		clientID string
		issuer   string
	}{
		{"defaults", nil, cognitotest.DefaultPoolID, cognitotest.DefaultClientID,
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"},
		{"pool ID", []cognitotest.Option{cognitotest.WithPoolID("eu-west-2_Other9")}, "eu-west-2_Other9", cognitotest.DefaultClientID,
			"https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Other9"},
		{"client ID", []cognitotest.Option{cognitotest.WithClientID("my-client")}, cognitotest.DefaultPoolID, "my-client",
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"},
		{"later options win", []cognitotest.Option{cognitotest.WithClientID("a"), cognitotest.WithClientID("b")}, cognitotest.DefaultPoolID, "b",
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t, tc.opts...)
			assert.Equal(t, tc.poolID, pool.PoolID)
			assert.Equal(t, tc.clientID, pool.ClientID)
			assert.Equal(t, tc.issuer, pool.Issuer())
			assert.Equal(t, pool.URL()+"/"+tc.poolID+"/.well-known/jwks.json", pool.JWKSURL())
			assert.Regexp(t, `^https://127\.0\.0\.1:\d+$`, pool.URL())

			cfg := pool.Config()
			assert.Equal(t, tc.poolID, cfg.UserPoolID)
			assert.Equal(t, []string{tc.clientID}, cfg.ClientIDs)
			assert.Equal(t, cognito.AccessToken, cfg.TokenUse)
			assert.Equal(t, pool.JWKSURL(), cfg.JWKSURL)
			require.NotNil(t, cfg.HTTPClient)
			require.NotNil(t, cfg.Now)
			assert.Equal(t, fixedNow, cfg.Now(), "the pool's clock")

			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			assert.Equal(t, tc.issuer, v.Issuer())
			c, err := v.Verify(context.Background(), pool.AccessToken())
			require.NoError(t, err)
			assert.Equal(t, tc.clientID, c.ClientID)
		})
	}
}

// WithClock sets the times of minted tokens; without it they follow the
// machine's clock.
func TestPoolClock(t *testing.T) {
	at := fixedNow.Add(-72 * time.Hour)
	pool := newPool(t, cognitotest.WithClock(func() time.Time { return at }))
	claims := payloadOf(t, pool.AccessToken())
	assert.Equal(t, float64(at.Unix()), claims["iat"])
	assert.Equal(t, float64(at.Unix()), claims["auth_time"])
	assert.Equal(t, float64(at.Add(time.Hour).Unix()), claims["exp"])

	machine := cognitotest.NewTestPool(t)
	before := time.Now().Unix()
	iat := int64(payloadOf(t, machine.AccessToken())["iat"].(float64))
	after := time.Now().Unix()
	assert.True(t, before <= iat && iat <= after, "iat %d not in [%d, %d]", iat, before, after)
}

// The key set holds the two signing keys, in Cognito's shape, matching the
// private keys that sign.
func TestPoolJWKS(t *testing.T) {
	pool := newPool(t)
	keys := publishedKeys(t, pool.JWKS())
	require.Len(t, keys, 2)
	assert.Equal(t, []string{pool.AccessKeyID(), pool.IDKeyID()}, kids(keys))
	assert.NotEqual(t, pool.AccessKeyID(), pool.IDKeyID())
	for i, use := range []cognito.TokenUse{cognito.AccessToken, cognito.IDToken} {
		kid, key := pool.SigningKey(use)
		assert.Equal(t, keys[i].Kid, kid)
		assert.Equal(t, jwk{Alg: "RS256", E: "AQAB", Kid: kid, Kty: "RSA", N: base64.RawURLEncoding.EncodeToString(key.N.Bytes()), Use: "sig"}, keys[i])
		assert.Equal(t, 2048, key.N.BitLen())
		// Cognito's kids are standard base64 of 32 bytes.
		raw, err := base64.StdEncoding.DecodeString(kid)
		require.NoError(t, err)
		assert.Len(t, raw, 32)
	}

	// Kids depend on the pool ID, and only on it.
	same := newPool(t)
	other := newPool(t, cognitotest.WithPoolID("us-east-1_Other"))
	assert.Equal(t, pool.AccessKeyID(), same.AccessKeyID())
	assert.NotEqual(t, pool.AccessKeyID(), other.AccessKeyID())
	assert.NotEqual(t, pool.IDKeyID(), other.IDKeyID())
}

// The server serves the key set on the JWKS path only, and counts every
// request.
func TestPoolServer(t *testing.T) {
	pool := newPool(t)
	assert.Zero(t, pool.Requests())
	assert.Zero(t, pool.JWKSRequests())

	status, ctype, body := fetchPool(t, pool, pool.JWKSURL())
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/json", ctype)
	assert.JSONEq(t, string(pool.JWKS()), string(body))

	for _, path := range []string{"/", "/.well-known/jwks.json", "/us-east-1_Other/.well-known/jwks.json", "/" + pool.PoolID} {
		status, _, _ := fetchPool(t, pool, pool.URL()+path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
	assert.Equal(t, 5, pool.Requests())
	assert.Equal(t, 1, pool.JWKSRequests())

	// Only a client that trusts the pool's certificate gets through.
	_, err := (&http.Client{}).Get(pool.JWKSURL())
	require.Error(t, err)
}

// Rotation publishes old and new keys; retiring drops the old ones.
func TestPoolRotateAndRetire(t *testing.T) {
	pool := newPool(t)
	v, err := cognito.NewVerifier(func() cognito.Config {
		c := pool.Config()
		c.RefetchInterval = time.Nanosecond // every unknown kid refetches
		return c
	}())
	require.NoError(t, err)
	oldAccess, oldID := pool.AccessKeyID(), pool.IDKeyID()
	oldToken := pool.AccessToken()
	_, err = v.Verify(context.Background(), oldToken)
	require.NoError(t, err)

	pool.RotateKeys()
	assert.NotEqual(t, oldAccess, pool.AccessKeyID())
	assert.NotEqual(t, oldID, pool.IDKeyID())
	assert.Equal(t, []string{oldAccess, oldID, pool.AccessKeyID(), pool.IDKeyID()}, kids(publishedKeys(t, pool.JWKS())))
	assert.Equal(t, pool.AccessKeyID(), headerOf(t, pool.AccessToken())["kid"])
	assert.Equal(t, pool.IDKeyID(), headerOf(t, pool.IDToken())["kid"])
	_, err = v.Verify(context.Background(), pool.AccessToken())
	require.NoError(t, err, "the new key is published")
	_, err = v.Verify(context.Background(), oldToken)
	require.NoError(t, err, "the old key is still published")

	pool.RotateKeys()
	assert.Len(t, publishedKeys(t, pool.JWKS()), 6)
	pool.RetireOldKeys()
	assert.Equal(t, []string{pool.AccessKeyID(), pool.IDKeyID()}, kids(publishedKeys(t, pool.JWKS())))

	// A verifier that fetches now does not know the retired key.
	v2, err := cognito.NewVerifier(pool.Config())
	require.NoError(t, err)
	_, err = v2.Verify(context.Background(), oldToken)
	require.ErrorIs(t, err, cognito.ErrKeyNotFound)
}

// FailJWKS, HangJWKS and SetJWKSHandler take over every path; nil restores
// the key set. Requests are counted either way.
func TestPoolJWKSFaults(t *testing.T) {
	cases := []struct {
		name   string
		fault  func(*cognitotest.Pool)
		status int
		body   string
	}{
		{"fail 500", func(p *cognitotest.Pool) { p.FailJWKS(http.StatusInternalServerError) }, 500, "Internal Server Error\n"},
		{"fail 404", func(p *cognitotest.Pool) { p.FailJWKS(http.StatusNotFound) }, 404, "Not Found\n"},
		{"fail 429", func(p *cognitotest.Pool) { p.FailJWKS(http.StatusTooManyRequests) }, 429, "Too Many Requests\n"},
		{"handler", func(p *cognitotest.Pool) {
			p.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
				_, _ = io.WriteString(w, "path "+r.URL.Path)
			}))
		}, http.StatusTeapot, "path /us-east-1_TestPool1/.well-known/jwks.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t)
			tc.fault(pool)
			status, _, body := fetchPool(t, pool, pool.JWKSURL())
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.body, string(body))
			status, _, _ = fetchPool(t, pool, pool.URL()+"/elsewhere")
			assert.Equal(t, tc.status, status, "every path")
			assert.Equal(t, 2, pool.Requests())
			assert.Equal(t, 1, pool.JWKSRequests())

			v, err := cognito.NewVerifier(pool.Config())
			require.NoError(t, err)
			_, err = v.Verify(context.Background(), pool.AccessToken())
			require.ErrorIs(t, err, cognito.ErrKeysUnavailable)
			require.NotErrorIs(t, err, cognito.ErrInvalidToken)

			pool.SetJWKSHandler(nil)
			status, _, body = fetchPool(t, pool, pool.JWKSURL())
			assert.Equal(t, http.StatusOK, status)
			assert.JSONEq(t, string(pool.JWKS()), string(body))
			assert.Equal(t, 3, pool.JWKSRequests(), "two GETs and the verifier's one fetch")
		})
	}
}

// HangJWKS holds a request until its client gives up or the pool closes.
func TestPoolHangJWKS(t *testing.T) {
	reached := func(pool *cognitotest.Pool, n int) func() bool {
		return func() bool { return pool.JWKSRequests() == n }
	}
	send := func(ctx context.Context, pool *cognitotest.Pool) <-chan error {
		done := make(chan error, 1)
		go func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, pool.JWKSURL(), nil)
			if err == nil {
				var resp *http.Response
				if resp, err = pool.HTTPClient().Do(req); err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
			}
			done <- err
		}()
		return done
	}

	t.Run("client gives up", func(t *testing.T) {
		pool := newPool(t)
		pool.HangJWKS()
		ctx, cancel := context.WithCancel(context.Background())
		done := send(ctx, pool)
		require.Eventually(t, reached(pool, 1), time.Minute, time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("answered while hanging: %v", err)
		default:
		}
		cancel()
		// Released: the client sees its cancellation, or, when the
		// handler's return wins that race inside net/http, an empty answer.
		if err := <-done; err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
	})
	t.Run("pool closes", func(t *testing.T) {
		pool := newPool(t)
		pool.HangJWKS()
		done := send(context.Background(), pool)
		require.Eventually(t, reached(pool, 1), time.Minute, time.Millisecond)
		pool.Close()
		<-done // released: Close would block forever otherwise
		pool.Close()
	})
}

// NewTestPool closes the pool when the test ends.
func TestNewTestPoolCleanup(t *testing.T) {
	var pool *cognitotest.Pool
	t.Run("inner", func(t *testing.T) {
		pool = cognitotest.NewTestPool(t)
		status, _, _ := fetchPool(t, pool, pool.JWKSURL())
		assert.Equal(t, http.StatusOK, status)
	})
	_, err := pool.HTTPClient().Get(pool.JWKSURL())
	require.Error(t, err, "the server is closed")
}

// NewPool's keys are shared process-wide by position: the n-th key of any
// pool is the same RSA key, under that pool's own kid.
func TestPoolKeysShared(t *testing.T) {
	a := cognitotest.NewPool()
	defer a.Close()
	b := cognitotest.NewPool(cognitotest.WithPoolID("eu-west-1_B"))
	defer b.Close()
	_, ka := a.SigningKey(cognito.IDToken)
	_, kb := b.SigningKey(cognito.IDToken)
	assert.True(t, ka.Equal(kb))
	_, access := a.SigningKey(cognito.AccessToken)
	assert.False(t, access.Equal(ka))
	assert.Equal(t, 65537, ka.E)
}
