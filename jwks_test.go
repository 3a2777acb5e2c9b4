package cognito_test

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jwk renders an RSA public key as a JWK with Cognito's members, then
// applies changes (nil deletes a member).
func jwk(kid string, pub *rsa.PublicKey, changes map[string]any) map[string]any {
	k := map[string]any{
		"kid": kid,
		"kty": "RSA",
		"alg": "RS256",
		"use": "sig",
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
	}
	for name, v := range changes {
		if v == nil {
			delete(k, name)
		} else {
			k[name] = v
		}
	}
	return k
}

func jwks(t testing.TB, keys ...any) []byte {
	return mustJSON(t, map[string]any{"keys": keys})
}

func b64int(x *big.Int) string { return base64.RawURLEncoding.EncodeToString(x.Bytes()) }

// K-20…K-26: a key set that is not usable is a configuration error (for
// Config.JWKS) and never an empty set.
func TestJWKSContentRejected(t *testing.T) {
	pool := newPool(t)
	kid, key := pool.SigningKey(cognito.AccessToken)
	good := jwk(kid, &key.PublicKey, nil)
	many := make([]any, 101)
	for i := range many {
		many[i] = jwk(fmt.Sprint("k", i), &key.PublicKey, nil)
	}
	cases := map[string][]byte{
		"K-20 truncated":          []byte(`{"keys":[`),
		"K-20 BOM":                append([]byte("\xef\xbb\xbf"), jwks(t, good)...),
		"K-20 trailing garbage":   append(jwks(t, good), []byte("x")...),
		"K-20 HTML":               []byte("<html>captive portal</html>"),
		"K-21 array":              []byte(`[]`),
		"K-21 keys object":        []byte(`{"keys":{}}`),
		"K-21 keys null":          []byte(`{"keys":null}`),
		"K-21 no keys":            []byte(`{}`),
		"K-21 Keys case variant":  []byte(`{"Keys":[` + string(mustJSON(t, good)) + `]}`),
		"K-22 empty keys":         []byte(`{"keys":[]}`),
		"K-23 duplicate keys":     []byte(`{"keys":[` + string(mustJSON(t, good)) + `],"keys":[]}`),
		"K-25 too many keys":      jwks(t, many...),
		"only unusable keys":      jwks(t, jwk(kid, &key.PublicKey, map[string]any{"use": "enc"})),
		"kid over 256 bytes only": jwks(t, jwk(strings.Repeat("k", 257), &key.PublicKey, nil)),
		"K-26 private key only":   jwks(t, jwk(kid, &key.PublicKey, map[string]any{"d": b64int(key.D), "p": b64int(key.Primes[0]), "q": b64int(key.Primes[1])})),
		"K-26 symmetric key only": jwks(t, map[string]any{"kty": "oct", "kid": "h", "k": "MTEx"}),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := pool.Config()
			cfg.JWKSURL, cfg.JWKS = "", body
			_, err := cognito.NewVerifier(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "JWKS")
		})
	}
}

// K-24, K-26, K-30…K-39: unusable keys are skipped one by one; the good key
// beside them keeps working, and a token naming a skipped key is rejected
// as if its kid were unknown.
func TestJWKSKeysSkipped(t *testing.T) {
	pool := newPool(t)
	goodKid, key := pool.SigningKey(cognito.AccessToken)
	pub := &key.PublicKey
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	evenN := new(big.Int).Add(pub.N, big.NewInt(1))

	skipped := []struct {
		name string
		key  any
		// signer of the test token for this kid; nil means the pool key
		signer *rsa.PrivateKey
	}{
		{"K-24 OKP X25519", map[string]any{"kid": "bad", "kty": "OKP", "crv": "X25519", "x": "AAAA"}, nil},
		{"K-24 unknown kty", map[string]any{"kid": "bad", "kty": "foo"}, nil},
		{"K-24 EC bad curve", map[string]any{"kid": "bad", "kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}, nil},
		{"K-24 ML-DSA", map[string]any{"kid": "bad", "kty": "AKP", "alg": "ML-DSA-44", "pub": "AAAA"}, nil},
		{"K-24 RSA missing n", jwk("bad", pub, map[string]any{"n": nil}), nil},
		{"K-24 RSA n not base64url", jwk("bad", pub, map[string]any{"n": "***"}), nil},
		{"K-24 RSA n a number", jwk("bad", pub, map[string]any{"n": 5}), nil},
		{"K-26 private RSA", jwk("bad", pub, map[string]any{"d": b64int(key.D), "p": b64int(key.Primes[0]), "q": b64int(key.Primes[1])}), nil},
		{"K-26 oct", map[string]any{"kid": "bad", "kty": "oct", "k": "MTEx"}, nil},
		// C-06: private or symmetric members without d.
		{"C-06 p and q", jwk("bad", pub, map[string]any{"p": b64int(key.Primes[0]), "q": b64int(key.Primes[1])}), nil},
		{"C-06 dp", jwk("bad", pub, map[string]any{"dp": b64int(key.Precomputed.Dp)}), nil},
		{"C-06 dq", jwk("bad", pub, map[string]any{"dq": b64int(key.Precomputed.Dq)}), nil},
		{"C-06 qi", jwk("bad", pub, map[string]any{"qi": b64int(key.Precomputed.Qinv)}), nil},
		{"C-06 oth", jwk("bad", pub, map[string]any{"oth": []any{}}), nil},
		{"C-06 k beside n and e", jwk("bad", pub, map[string]any{"k": "MTEx"}), nil},
		{"K-30 1024-bit", jwk("bad", &small.PublicKey, nil), small},
		{"K-31 e = 1", jwk("bad", pub, map[string]any{"e": "AQ"}), nil},
		{"K-32 e even", jwk("bad", pub, map[string]any{"e": b64int(big.NewInt(65536))}), nil},
		{"K-32 e > 2^31-1", jwk("bad", pub, map[string]any{"e": b64int(big.NewInt(1<<32 + 1))}), nil},
		{"K-32 n even", jwk("bad", pub, map[string]any{"n": b64int(evenN)}), nil},
		{"K-33 e = 3", jwk("bad", pub, map[string]any{"e": "Aw"}), nil},
		{"K-35 use enc", jwk("bad", pub, map[string]any{"use": "enc", "alg": "RSA1_5"}), nil},
		{"K-35 use Sig", jwk("bad", pub, map[string]any{"use": "Sig"}), nil},
		{"K-36 alg PS256", jwk("bad", pub, map[string]any{"alg": "PS256"}), nil},
		{"K-36 alg RS512", jwk("bad", pub, map[string]any{"alg": "RS512"}), nil},
		{"K-36 alg HS256", jwk("bad", pub, map[string]any{"alg": "HS256"}), nil},
		{"K-37 key_ops encrypt", jwk("bad", pub, map[string]any{"key_ops": []string{"encrypt"}}), nil},
		{"K-38 kid missing", jwk("", pub, map[string]any{"kid": nil}), nil},
		{"K-39 x5c of another key", jwk("bad", pub, map[string]any{"x5c": []string{"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"}}), nil},
	}
	for _, tc := range skipped {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pool.Config()
			cfg.JWKSURL, cfg.JWKS = "", jwks(t, tc.key, jwk(goodKid, pub, nil))
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err, "one bad key must not sink the set")

			_, err = v.Verify(ctx, pool.AccessToken())
			require.NoError(t, err, "the good key still verifies")

			signer := tc.signer
			if signer == nil {
				signer = key
			}
			header := mustJSON(t, map[string]string{"alg": "RS256", "kid": "bad"})
			c, err := v.Verify(ctx, cognitotest.SignWith(signer, header, mustJSON(t, accessClaims(pool))))
			requireRejected(t, cognito.ErrKeyNotFound, c, err)
		})
	}

	// Accepted variants: use and alg absent, key_ops with verify.
	for name, k := range map[string]any{
		"use absent":     jwk(goodKid, pub, map[string]any{"use": nil}),
		"alg absent":     jwk(goodKid, pub, map[string]any{"alg": nil}),
		"key_ops verify": jwk(goodKid, pub, map[string]any{"key_ops": []string{"verify"}}),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := pool.Config()
			cfg.JWKSURL, cfg.JWKS = "", jwks(t, k)
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			_, err = v.Verify(ctx, pool.AccessToken())
			require.NoError(t, err)
		})
	}
}

// K-38: two keys under one kid make that kid unusable, whichever key
// signed; other kids are unaffected.
func TestJWKSDuplicateKid(t *testing.T) {
	pool := newPool(t)
	kid, key := pool.SigningKey(cognito.AccessToken)
	idKid, idKey := pool.SigningKey(cognito.IDToken)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for name, set := range map[string][]byte{
		"same key twice":  jwks(t, jwk(kid, &key.PublicKey, nil), jwk(kid, &key.PublicKey, nil), jwk(idKid, &idKey.PublicKey, nil)),
		"different keys":  jwks(t, jwk(kid, &other.PublicKey, nil), jwk(kid, &key.PublicKey, nil), jwk(idKid, &idKey.PublicKey, nil)),
		"three instances": jwks(t, jwk(kid, &key.PublicKey, nil), jwk(kid, &other.PublicKey, nil), jwk(kid, &key.PublicKey, nil), jwk(idKid, &idKey.PublicKey, nil)),
	} {
		t.Run(name, func(t *testing.T) {
			cfg := pool.Config()
			cfg.JWKSURL, cfg.JWKS = "", set
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			c, err := v.Verify(ctx, pool.AccessToken())
			requireRejected(t, cognito.ErrKeyNotFound, c, err)
			assert.Contains(t, err.Error(), "more than once")

			cfg.TokenUse = cognito.IDToken
			v, err = cognito.NewVerifier(cfg)
			require.NoError(t, err)
			_, err = v.Verify(ctx, pool.IDToken())
			require.NoError(t, err)
		})
	}
}

// A fixed key set (Config.JWKS) is never fetched, and unknown kids are
// rejected at once.
func TestFixedJWKSNeverFetches(t *testing.T) {
	pool := newPool(t)
	cfg := pool.Config()
	cfg.JWKSURL, cfg.JWKS = "", pool.JWKS()
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	require.NoError(t, v.Warm(ctx))
	_, err = v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "unknown")))
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
	assert.Zero(t, pool.Requests())
}

// The first Verify fetches; later ones use the cache; Warm fetches up front.
func TestJWKSLazyAndWarm(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	assert.Zero(t, pool.Requests(), "NewVerifier does no I/O")
	for range 5 {
		_, err := v.Verify(ctx, pool.AccessToken())
		require.NoError(t, err)
	}
	assert.Equal(t, 1, pool.JWKSRequests())

	v = newVerifier(t, pool)
	require.NoError(t, v.Warm(ctx))
	require.NoError(t, v.Warm(ctx))
	assert.Equal(t, 2, pool.JWKSRequests())
	_, err := v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
	assert.Equal(t, 2, pool.JWKSRequests())
}

// K-46: a thousand cold callers share one fetch.
func TestJWKSColdConcurrency(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	token := pool.AccessToken()
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range 1000 {
		wg.Go(func() {
			if _, err := v.Verify(ctx, token); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, 1, pool.JWKSRequests())
}

// movingClock is a clock tests advance by hand.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *movingClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *movingClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// K-29, K-42, K-48, K-40, K-41: unknown kids refetch at most once per
// window; a kid published later is picked up once the window passes;
// rotation adds and retires keys.
func TestJWKSRefetchWindowAndRotation(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool)
	_, err := v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
	require.Equal(t, 1, pool.JWKSRequests())

	// Inside the window after the first fetch: unknown kids fail fast.
	for i := range 100 {
		c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", fmt.Sprint("random-", i))))
		requireRejected(t, cognito.ErrKeyNotFound, c, err)
	}
	assert.Equal(t, 1, pool.JWKSRequests())

	// The attacker names the next kid before it is published (K-48).
	pool.RotateKeys()
	early := pool.AccessToken()
	c, err := v.Verify(ctx, early)
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
	assert.Equal(t, 1, pool.JWKSRequests())

	// Window over: one refetch, and the new kid verifies (K-40).
	clk.Add(cognito.DefaultRefetchInterval)
	_, err = v.Verify(ctx, early)
	require.NoError(t, err)
	assert.Equal(t, 2, pool.JWKSRequests())
	for i := range 100 {
		_, _ = v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", fmt.Sprint("again-", i))))
	}
	assert.Equal(t, 2, pool.JWKSRequests())

	// The old kid is retired; it stays usable until the next successful
	// refresh, then is rejected (K-41).
	oldPool := cognitotest.NewTestPool(t, cognitotest.WithClock(clk.Now))
	oldToken := oldPool.Sign(mustJSON(t, map[string]string{"alg": "RS256", "kid": firstKid(t, pool)}), mustJSON(t, accessClaims(pool)))
	_, err = v.Verify(ctx, oldToken)
	require.NoError(t, err, "old kid still in the cached set")
	pool.RetireOldKeys()
	clk.Add(cognito.DefaultRefetchInterval)
	_, _ = v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "trigger-refresh")))
	assert.Equal(t, 3, pool.JWKSRequests())
	c, err = v.Verify(ctx, oldToken)
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
	_, err = v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
}

// firstKid returns the first kid the pool published (its original access
// kid); cognitotest's key 0 signs it in every pool.
func firstKid(t *testing.T, pool *cognitotest.Pool) string {
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(pool.JWKS(), &set))
	return set.Keys[0].Kid
}

// K-01, K-03, K-04, K-05, K-08, K-09: a cold verifier that cannot get keys
// says so with ErrKeysUnavailable, never ErrInvalidToken.
func TestJWKSColdFailures(t *testing.T) {
	goodSet := newPool(t).JWKS()
	cases := map[string]http.HandlerFunc{
		"K-03 500": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) },
		"K-03 503": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) },
		"K-04 404": http.NotFound,
		"K-04 403": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(403) },
		"K-05 HTML with 200": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>sign in to the Wi-Fi</html>"))
		},
		"K-22 empty key set": func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"keys":[]}`)) },
		// Valid key sets but for the one rule under test:
		"K-08 body over 1 MiB": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"pad":"` + strings.Repeat("x", 1<<20) + `",` + string(goodSet[1:])))
		},
		"K-09 redirect to a path with good keys": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/moved" {
				_, _ = w.Write(goodSet)
				return
			}
			http.Redirect(w, r, "/moved", http.StatusFound)
		},
		"K-09 redirect to another host": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://127.0.0.2/jwks.json", http.StatusFound)
		},
		"K-09 redirect to http": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+r.URL.Path, http.StatusMovedPermanently)
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			clk := &movingClock{now: fixedNow}
			pool := newPool(t)
			pool.SetJWKSHandler(h)
			v := newVerifier(t, pool, func(c *cognito.Config) { c.Now = clk.Now })
			token := pool.AccessToken()
			c, err := v.Verify(ctx, token)
			requireUnavailable(t, c, err)
			var ke *cognito.KeysError
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, pool.JWKSURL(), ke.URL)
			assert.Equal(t, 1, pool.Requests(), "no redirect followed, no retry")

			// The endpoint recovers. For failureBackoff (1 s) callers get
			// the last failure without a request, then one fetch succeeds.
			pool.SetJWKSHandler(nil)
			c, err = v.Verify(ctx, token)
			requireUnavailable(t, c, err)
			requireUnavailable(t, nil, v.Warm(ctx))
			assert.Equal(t, 1, pool.Requests(), "backing off")
			clk.Add(time.Second)
			_, err = v.Verify(ctx, token)
			require.NoError(t, err)
			assert.Equal(t, 2, pool.Requests())
		})
	}

	t.Run("K-01 connection refused", func(t *testing.T) {
		pool := newPool(t)
		cfg := pool.Config()
		pool.Close()
		v, err := cognito.NewVerifier(cfg)
		require.NoError(t, err)
		c, err := v.Verify(ctx, pool.AccessToken())
		requireUnavailable(t, c, err)
	})
	t.Run("K-10 TLS certificate not trusted", func(t *testing.T) {
		pool := newPool(t)
		v := newVerifier(t, pool, func(c *cognito.Config) { c.HTTPClient = nil })
		c, err := v.Verify(ctx, pool.AccessToken())
		requireUnavailable(t, c, err)
		assert.Contains(t, err.Error(), "certificate")
	})
}

// K-06, K-07: a server that never answers, or trickles its body, is cut off
// by FetchTimeout: in fake time, exactly at it.
func TestJWKSTimeouts(t *testing.T) {
	trickle := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for _, b := range body {
				if _, err := w.Write([]byte{b}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(50 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
		}
	}
	for name, timeout := range map[string]time.Duration{"default": 0, "2 s": 2 * time.Second} {
		t.Run(name, func(t *testing.T) {
			want := cmp.Or(timeout, cognito.DefaultFetchTimeout)
			t.Run("K-06 never answers", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					pool := memPool(t)
					pool.HangJWKS()
					v := newVerifier(t, pool, func(c *cognito.Config) { c.FetchTimeout = timeout })
					start := time.Now()
					c, err := v.Verify(ctx, pool.AccessToken())
					requireUnavailable(t, c, err)
					assert.Equal(t, want, time.Since(start))
				})
			})
			t.Run("K-07 slow body", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					pool := memPool(t)
					pool.SetJWKSHandler(trickle(pool.JWKS())) // about 1 KB: nearly a minute
					v := newVerifier(t, pool, func(c *cognito.Config) { c.FetchTimeout = timeout })
					start := time.Now()
					c, err := v.Verify(ctx, pool.AccessToken())
					requireUnavailable(t, c, err)
					assert.Equal(t, want, time.Since(start))
				})
			})
		})
	}
}

// K-02, K-03 warm: once keys are cached, a failing endpoint does not stop
// known kids, and a failed refresh never replaces good keys.
func TestJWKSWarmFailureKeepsKeys(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool)
	token := pool.AccessToken()
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)

	for _, fail := range []func(){
		func() { pool.FailJWKS(500) },
		func() {
			pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"keys":[]}`)) }))
		},
		func() {
			pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`not json`)) }))
		},
	} {
		fail()
		clk.Add(cognito.DefaultRefetchInterval)
		before := pool.JWKSRequests()
		// An unknown kid triggers a refresh that fails: the verifier cannot
		// tell whether that kid exists, so it is not a token error.
		c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "new-kid")))
		requireUnavailable(t, c, err)
		assert.Equal(t, before+1, pool.JWKSRequests())
		// Inside the window, the same answer without a request.
		c, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "newer-kid")))
		requireUnavailable(t, c, err)
		assert.Equal(t, before+1, pool.JWKSRequests())
		// The known kid keeps verifying from the cache.
		_, err = v.Verify(ctx, token)
		require.NoError(t, err)
	}

	pool.SetJWKSHandler(nil)
	clk.Add(cognito.DefaultRefetchInterval)
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "still-unknown")))
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
}

// K-11: the caller that started the shared fetch gives up; the others still
// get keys.
func TestJWKSLeaderCancels(t *testing.T) {
	pool := newPool(t)
	release := make(chan struct{})
	var reached sync.Once
	arrived := make(chan struct{})
	body := pool.JWKS()
	pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached.Do(func() { close(arrived) })
		<-release
		_, _ = w.Write(body)
	}))
	v := newVerifier(t, pool)
	token := pool.AccessToken()

	leaderCtx, cancel := contextWithCancel()
	leaderErr := make(chan error, 1)
	go func() {
		_, err := v.Verify(leaderCtx, token)
		leaderErr <- err
	}()
	<-arrived
	followerErr := make(chan error, 1)
	go func() {
		_, err := v.Verify(ctx, token)
		followerErr <- err
	}()
	cancel()
	err := <-leaderErr
	require.ErrorIs(t, err, cognito.ErrKeysUnavailable, "a cancelled caller is a 5xx, not a 401")
	require.NotErrorIs(t, err, cognito.ErrInvalidToken)
	close(release)
	require.NoError(t, <-followerErr)
	assert.Equal(t, 1, pool.JWKSRequests())
}

// K-47: a panic while fetching is an error, not a crash in every waiter.
func TestJWKSFetchPanic(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) {
		c.HTTPClient = &http.Client{Transport: panicTransport{}}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	token := pool.AccessToken()
	for range 20 {
		wg.Go(func() {
			_, err := v.Verify(ctx, token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		requireUnavailable(t, nil, err)
	}
	c, err := v.Verify(ctx, pool.AccessToken())
	requireUnavailable(t, c, err)
	assert.Contains(t, err.Error(), "panic")
}

type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("transport exploded") }

// K-09 with the default client: http on loopback is allowed (emulators),
// and redirects are refused there too.
func TestJWKSDefaultClientRefusesRedirects(t *testing.T) {
	pool := newPool(t)
	good := pool.JWKS()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/moved" {
			_, _ = w.Write(good)
			return
		}
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)

	v := newVerifier(t, pool, func(c *cognito.Config) { c.HTTPClient, c.JWKSURL = nil, srv.URL+"/jwks.json" })
	c, err := v.Verify(ctx, pool.AccessToken())
	requireUnavailable(t, c, err)
	assert.Contains(t, err.Error(), "307")
	assert.Equal(t, int64(1), hits.Load())

	v = newVerifier(t, pool, func(c *cognito.Config) { c.HTTPClient, c.JWKSURL = nil, srv.URL+"/moved" })
	_, err = v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err, "the default client reaches a loopback http JWKS")
}
