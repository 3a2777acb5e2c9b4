package cognito_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faults are misbehaving JWKS endpoints (catalog section 3.1 and 3.2).
func faults(good []byte) map[string]http.HandlerFunc {
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
	}
	body := func(b string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(b)) }
	}
	return map[string]http.HandlerFunc{
		"500":            status(500),
		"502":            status(502),
		"503":            status(503),
		"404":            status(404),
		"403":            status(403),
		"HTML with 200":  body("<html><body>Sign in to the Wi-Fi</body></html>"),
		"invalid JSON":   body(`{"keys":[`),
		"empty key set":  body(`{"keys":[]}`),
		"keys not array": body(`{"keys":{}}`),
		"endless body": func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(`{"keys":[` + strings.Repeat(" ", 32<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				chunk = chunk[len(chunk)-(32<<10):]
			}
		},
		"1 byte per 100 ms": func(w http.ResponseWriter, r *http.Request) {
			for _, b := range good {
				if _, err := w.Write([]byte{b}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(100 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
		},
		"accepts and never answers": func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"redirect to another host": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://127.0.0.2:1/jwks.json", http.StatusFound)
		},
		"redirect to http": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+"/jwks.json", http.StatusMovedPermanently)
		},
	}
}

// warmVerifier returns a verifier without a token cache that has fetched
// its keys and verified token (valid for two days), with its pool on clk.
func warmVerifier(t *testing.T, edit ...func(*cognito.Config)) (*movingClock, *cognitotest.Pool, *cognito.Verifier, string) {
	t.Helper()
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool, append([]func(*cognito.Config){func(c *cognito.Config) { c.TokenCacheSize = -1 }}, edit...)...)
	token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)
	return clk, pool, v, token
}

// testFetchTimeout keeps the hanging faults short; the default is 5 s.
const testFetchTimeout = 300 * time.Millisecond

// Cold: every fault is ErrKeysUnavailable, never ErrInvalidToken, after
// exactly one request, and within the fetch timeout.
func TestJWKSFaultsCold(t *testing.T) {
	for name, h := range faults(newPool(t).JWKS()) {
		t.Run(name, func(t *testing.T) {
			pool := newPool(t)
			pool.SetJWKSHandler(h)
			v := newVerifier(t, pool, func(c *cognito.Config) { c.FetchTimeout = testFetchTimeout })
			start := time.Now()
			c, err := v.Verify(ctx, pool.AccessToken())
			elapsed := time.Since(start)
			requireUnavailable(t, c, err)
			assert.Equal(t, 1, pool.JWKSRequests())
			// A bound on behaviour, not a performance assertion: the
			// fetch must be cut off by its own deadline.
			assert.Less(t, elapsed, testFetchTimeout+2*time.Second)
			t.Logf("%s: failed after %v: %v", name, elapsed.Round(time.Millisecond), err)
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		pool := newPool(t)
		cfg := pool.Config()
		pool.Close()
		v, err := cognito.NewVerifier(cfg)
		require.NoError(t, err)
		c, err := v.Verify(ctx, pool.AccessToken())
		requireUnavailable(t, c, err)
		assert.Contains(t, err.Error(), "refused")
	})
	t.Run("TLS failure", func(t *testing.T) {
		pool := newPool(t)
		v := newVerifier(t, pool, func(c *cognito.Config) { c.HTTPClient = nil }) // does not trust the test CA
		c, err := v.Verify(ctx, pool.AccessToken())
		requireUnavailable(t, c, err)
		assert.Zero(t, pool.JWKSRequests(), "the handshake fails before any request")
	})
}

// Warm: with keys cached, every fault leaves known kids verifying, a failed
// refresh never replaces good keys, and an unknown kid is undecidable.
func TestJWKSFaultsWarm(t *testing.T) {
	for name, h := range faults(newPool(t).JWKS()) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk, pool, v, token := warmVerifier(t, func(c *cognito.Config) { c.FetchTimeout = testFetchTimeout })
			pool.SetJWKSHandler(h)

			// The hourly background refresh meets the fault.
			clk.Add(cognito.DefaultKeyRefreshInterval)
			_, err := v.Verify(ctx, token)
			require.NoError(t, err, "known kids keep verifying")
			require.Eventually(t, func() bool { return pool.JWKSRequests() == 2 }, 5*time.Second, 5*time.Millisecond)
			// The fault answers, or its fetch is cut at the deadline.
			time.Sleep(testFetchTimeout + 100*time.Millisecond)

			// An unknown kid: one more fetch, which fails: 5xx, not 401.
			clk.Add(cognito.DefaultRefetchInterval)
			c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "new")))
			requireUnavailable(t, c, err)
			assert.Equal(t, 3, pool.JWKSRequests())
			_, err = v.Verify(ctx, token)
			require.NoError(t, err, "the failed refresh kept the good keys")
		})
	}
}

// Keys older than KeyRefreshInterval are refreshed in the background (the
// call that notices is not delayed); a key removed from the pool then
// stops being trusted.
func TestJWKSBackgroundRefresh(t *testing.T) {
	clk, pool, v, old := warmVerifier(t)

	pool.RotateKeys()
	pool.RetireOldKeys() // the old kid is gone from the pool
	clk.Add(cognito.DefaultKeyRefreshInterval - time.Second)
	_, err := v.Verify(ctx, old)
	require.NoError(t, err, "not refreshed yet")
	assert.Equal(t, 1, pool.JWKSRequests())

	clk.Add(time.Second)
	_, err = v.Verify(ctx, old)
	require.NoError(t, err, "the call that starts the refresh is answered from the cache")
	require.Eventually(t, func() bool {
		_, err := v.Verify(ctx, old)
		return err != nil
	}, 5*time.Second, 5*time.Millisecond)
	c, err := v.Verify(ctx, old)
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
	assert.Equal(t, 2, pool.JWKSRequests())
	_, err = v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
}

// K-49: while every refresh fails, cached keys serve for MaxKeyAge after the
// last successful fetch, then Verify fails closed with ErrKeysUnavailable,
// and recovers with the endpoint. Refresh attempts stay one per window.
func TestJWKSStalenessBound(t *testing.T) {
	clk, pool, v, token := warmVerifier(t)
	pool.FailJWKS(503)

	// Up to the bound, known kids verify, whatever the refreshes do.
	for elapsed := 30 * time.Minute; elapsed < cognito.DefaultMaxKeyAge; elapsed += 30 * time.Minute {
		clk.Set(fixedNow.Add(elapsed))
		_, err := v.Verify(ctx, token)
		require.NoError(t, err, "at %v", elapsed)
		waitFetches(t, pool)
	}
	requestsBefore := pool.JWKSRequests()
	assert.LessOrEqual(t, requestsBefore, 1+int(cognito.DefaultMaxKeyAge/(30*time.Minute)), "one refresh attempt per call at most")

	clk.Set(fixedNow.Add(cognito.DefaultMaxKeyAge - time.Second))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err, "one second before the bound")
	waitFetches(t, pool)
	clk.Set(fixedNow.Add(cognito.DefaultMaxKeyAge))
	c, err := v.Verify(ctx, token)
	requireUnavailable(t, c, err)

	pool.SetJWKSHandler(nil)
	clk.Add(time.Second) // past the failure backoff
	_, err = v.Verify(ctx, token)
	require.NoError(t, err, "recovers with the endpoint")
}

// waitFetches waits until the pool has seen no new request for 20 ms, so
// that a background fetch has reached it.
func waitFetches(t *testing.T, pool *cognitotest.Pool) {
	t.Helper()
	require.Eventually(t, func() bool {
		n := pool.JWKSRequests()
		time.Sleep(20 * time.Millisecond)
		return pool.JWKSRequests() == n
	}, 5*time.Second, time.Millisecond)
}

func TestKeyAgeConfig(t *testing.T) {
	for name, change := range map[string]func(*cognito.Config){
		"refresh not shorter than max age": func(c *cognito.Config) { c.KeyRefreshInterval, c.MaxKeyAge = 2*time.Hour, time.Hour },
		"refresh disabled with a max age":  func(c *cognito.Config) { c.KeyRefreshInterval = -1 },
	} {
		cfg := validConfig()
		change(&cfg)
		_, err := cognito.NewVerifier(cfg)
		assert.Error(t, err, name)
	}
	cfg := validConfig()
	cfg.KeyRefreshInterval, cfg.MaxKeyAge = -1, -1 // never refresh, never expire: allowed
	_, err := cognito.NewVerifier(cfg)
	assert.NoError(t, err)
}

// floodToken names kid but is otherwise a real token: the kid lookup
// refuses it before the signature is looked at.
func floodToken(good, kid string) string {
	_, rest, _ := strings.Cut(good, ".")
	return enc(`{"alg":"RS256","kid":"`+kid+`"}`) + "." + rest
}

func randomKid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// K-42, K-48: 10,000 random kids, sequential and 64-way concurrent: at most
// one JWKS request per refetch window; known kids keep verifying meanwhile;
// a kid published after the attacker named it is picked up once the window
// passes (no permanent negative cache).
func TestJWKSFlood(t *testing.T) {
	for _, workers := range []int{1, 64} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			clk := &movingClock{now: fixedNow}
			pool := newPool(t, cognitotest.WithClock(clk.Now))
			v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
			good := pool.AccessToken()
			_, err := v.Verify(ctx, good)
			require.NoError(t, err)

			var rejected, keysDown, accepted, goodFailures atomic.Int64
			const total = 10_000
			next := atomic.Int64{}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			// Legitimate traffic during the flood.
			var legit sync.WaitGroup
			legit.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := v.Verify(ctx, good); err != nil {
						goodFailures.Add(1)
					}
				}
			})
			for range workers {
				wg.Go(func() {
					for next.Add(1) <= total {
						_, err := v.Verify(ctx, floodToken(good, randomKid()))
						switch {
						case err == nil:
							accepted.Add(1)
						case errorsIs(err, cognito.ErrKeyNotFound):
							rejected.Add(1)
						default:
							keysDown.Add(1)
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			legit.Wait()
			assert.Zero(t, accepted.Load())
			assert.Equal(t, int64(total), rejected.Load())
			assert.Zero(t, keysDown.Load())
			assert.Zero(t, goodFailures.Load(), "known kids kept verifying")
			assert.Equal(t, 1, pool.JWKSRequests(), "no fetch inside the window after the first")

			// The attacker names the next kid before it is published.
			pool.RotateKeys()
			early := pool.AccessToken()
			c, err := v.Verify(ctx, early)
			requireRejected(t, cognito.ErrKeyNotFound, c, err)
			clk.Add(cognito.DefaultRefetchInterval)
			for range 100 { // one window later: one fetch for all of these
				_, _ = v.Verify(ctx, floodToken(good, randomKid()))
			}
			_, err = v.Verify(ctx, early)
			require.NoError(t, err, "picked up once the window passed")
			assert.Equal(t, 2, pool.JWKSRequests())
			t.Logf("%d workers: %d random kids, %d JWKS requests", workers, total+100, pool.JWKSRequests())
		})
	}
}

// A bounded stress run: 32 goroutines with valid, forged, expired and
// unknown-kid tokens while keys rotate; every decision is checked; no
// goroutine outlives the test.
func TestStress(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		pool := cognitotest.NewPool()
		defer pool.Close()
		cfg := pool.Config()
		cfg.RefetchInterval = 20 * time.Millisecond
		v, err := cognito.NewVerifier(cfg)
		require.NoError(t, err)

		type kind int
		const (
			valid kind = iota
			forged
			expired
			unknownKid
		)
		var mu sync.RWMutex
		tokens := map[kind][]string{}
		mint := func() {
			good := pool.AccessToken()
			h, p, s := parts(good)
			mu.Lock()
			tokens[valid] = append(tokens[valid], good)
			tokens[forged] = append(tokens[forged], h+"."+p+"."+strings.Repeat("A", len(s)))
			tokens[expired] = append(tokens[expired], pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)))
			tokens[unknownKid] = append(tokens[unknownKid], floodToken(good, randomKid()))
			mu.Unlock()
		}
		mint()

		deadline := time.Now().Add(2 * time.Second)
		var wg sync.WaitGroup
		var decisions atomic.Int64
		failures := make(chan string, 100)
		for g := range 32 {
			wg.Go(func() {
				for i := 0; time.Now().Before(deadline); i++ {
					k := kind((g + i) % 4)
					mu.RLock()
					list := tokens[k]
					tok := list[i%len(list)]
					mu.RUnlock()
					_, err := v.Verify(ctx, tok)
					decisions.Add(1)
					var ok bool
					switch k {
					case valid: // every minted key stays published: always valid
						ok = err == nil
					case forged:
						ok = errorsIs(err, cognito.ErrSignature)
					case expired:
						ok = errorsIs(err, cognito.ErrExpired)
					case unknownKid:
						ok = errorsIs(err, cognito.ErrKeyNotFound)
					}
					if !ok {
						select {
						case failures <- fmt.Sprintf("kind %d: %v", k, err):
						default:
						}
						return
					}
				}
			})
		}
		// Rotate keys mid-run, a few times. As Cognito does, a new key is
		// published before tokens signed with it circulate: the new tokens
		// join the mix once a fetch that started after the rotation is in.
		for range 5 {
			time.Sleep(200 * time.Millisecond)
			before := pool.JWKSRequests()
			pool.RotateKeys()
			require.Eventually(t, func() bool { return pool.JWKSRequests() >= before+2 }, 5*time.Second, time.Millisecond)
			time.Sleep(10 * time.Millisecond)
			mint()
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		t.Logf("%d decisions in 2 s across 32 goroutines, %d JWKS requests", decisions.Load(), pool.JWKSRequests())
	}()
	http.DefaultClient.CloseIdleConnections()
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 }, 5*time.Second, 20*time.Millisecond,
		"goroutines before %d, after %d", before, runtime.NumGoroutine())
}

// A JWKS endpoint on plain loopback HTTP (an emulator) works with the
// default client.
func TestLoopbackHTTPEmulator(t *testing.T) {
	pool := newPool(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(pool.JWKS()) }))
	t.Cleanup(srv.Close)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.HTTPClient, c.JWKSURL = nil, srv.URL+"/local_pool/.well-known/jwks.json" })
	_, err := v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
}
