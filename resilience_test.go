package cognito_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// Cold: every fault is ErrKeysUnavailable, never ErrInvalidToken, after
// exactly one request, and never later than the fetch bound. Fake time: a
// hanging fault costs no real time, and its fetch must be cut by its own
// deadline however slow the machine.
func TestJWKSFaultsCold(t *testing.T) {
	for name, h := range faults(memPool(t).JWKS()) {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pool := memPool(t)
				pool.SetJWKSHandler(h)
				v := newVerifier(t, pool)
				start := time.Now()
				c, err := v.Verify(ctx, pool.AccessToken())
				elapsed := time.Since(start)
				requireUnavailable(t, c, err)
				assert.Equal(t, 1, pool.JWKSRequests())
				assert.LessOrEqual(t, elapsed, cognito.DefaultFetchTimeout)
				t.Logf("%s: failed after %v of fake time: %v", name, elapsed, err)
			})
		})
	}
	// These need a socket; they do not depend on speed.
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

// Warm: with keys cached, every fault leaves known kids verifying (from the
// token cache or by lookup), the refresh that meets it delays nobody, a
// failed refresh never replaces good keys, and an unknown kid is
// undecidable.
func TestJWKSFaultsWarm(t *testing.T) {
	for name, h := range faults(memPool(t).JWKS()) {
		for _, mode := range cacheModes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					pool := memPool(t)
					v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = mode.size })
					token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
					_, err := v.Verify(ctx, token)
					require.NoError(t, err)
					pool.SetJWKSHandler(h)

					// The hourly background refresh meets the fault.
					time.Sleep(cognito.DefaultKeyRefreshInterval)
					start := time.Now()
					_, err = v.Verify(ctx, token)
					require.NoError(t, err, "known kids keep verifying")
					assert.Zero(t, time.Since(start), "the refresh runs in the background")
					synctest.Wait()
					assert.Equal(t, 2, pool.JWKSRequests())
					// The fault answers, or its fetch is cut at the deadline.
					time.Sleep(cognito.DefaultFetchTimeout)
					synctest.Wait()

					// An unknown kid: one more fetch, which fails: 5xx, not 401.
					time.Sleep(cognito.DefaultRefetchInterval)
					c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "new")))
					requireUnavailable(t, c, err)
					assert.Equal(t, 3, pool.JWKSRequests())
					_, err = v.Verify(ctx, token)
					require.NoError(t, err, "the failed refresh kept the good keys")
				})
			})
		}
	}
}

// C-02, K-41: a key set older than KeyRefreshInterval is refreshed in the
// background. The call that notices, a cache hit as much as a lookup, is
// answered at once from the cached set while the refresh runs; once it is
// in, a key removed from the pool is no longer trusted. A verifier whose
// only traffic is one token repeated hourly (all cache hits until the
// refresh) refreshes exactly as one that looks keys up, and refuses the
// retired kid for the 22 hours after (the issue saw 22 h of hits and one
// JWKS request).
func TestJWKSBackgroundRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newKeyTwins(t)
		old := k.pools[0].AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
		require.NoError(t, k.verify(t, old))
		k.each(func(p *cognitotest.Pool) {
			p.RotateKeys()
			p.RetireOldKeys() // the old kid is gone from the pool
		})

		time.Sleep(cognito.DefaultKeyRefreshInterval - time.Second)
		require.NoError(t, k.verify(t, old), "not due for a refresh yet")
		synctest.Wait()
		assert.Equal(t, 1, k.requests(t))

		// The refresh is held at the endpoint until released: calls meanwhile
		// are answered at once from the cached set.
		release := make(chan struct{})
		k.each(func(p *cognitotest.Pool) { p.SetJWKSHandler(gate(p, release)) })
		time.Sleep(time.Second)
		hits, start := k.hits(), time.Now()
		require.NoError(t, k.verify(t, old), "the call that starts the refresh is answered from the cached set")
		require.NoError(t, k.verify(t, old), "so is a call during the refresh")
		assert.Zero(t, time.Since(start))
		assert.Equal(t, hits+2, k.hits(), "both were cache hits")
		synctest.Wait()
		assert.Equal(t, 2, k.requests(t), "a cache hit started the refresh, as a lookup did")
		close(release)
		synctest.Wait()
		k.each(func(p *cognitotest.Pool) { p.SetJWKSHandler(nil) })

		for hour := 1; hour <= 22; hour++ {
			err := k.verify(t, old)
			requireRejected(t, cognito.ErrKeyNotFound, nil, err)
			synctest.Wait()
			k.requests(t)
			time.Sleep(time.Hour)
		}
		require.NoError(t, k.verify(t, k.pools[0].AccessToken()))
	})
}

// K-49, C-01: while every refresh fails, cached keys serve for MaxKeyAge
// after the last successful fetch, then Verify fails closed with
// ErrKeysUnavailable, exactly as on a cache miss, and recovers with the
// endpoint. Cache hits start the same refresh attempts as lookups: one per
// call when calls are far apart, at most one per RefetchInterval however
// many calls.
func TestJWKSStalenessBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newKeyTwins(t)
		start := time.Now()
		token := k.pools[0].AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
		require.NoError(t, k.verify(t, token))
		k.each(func(p *cognitotest.Pool) { p.FailJWKS(503) })
		hits, calls := k.hits(), 0
		verify := func() {
			t.Helper()
			require.NoError(t, k.verify(t, token), "at %v", time.Since(start))
			calls++
			synctest.Wait() // the refresh it started, if any, is over
		}

		// Due for a refresh: a call every 100 ms for one RefetchInterval
		// makes one attempt, the next call another.
		time.Sleep(cognito.DefaultKeyRefreshInterval)
		for range cognito.DefaultRefetchInterval / (100 * time.Millisecond) {
			verify()
			time.Sleep(100 * time.Millisecond)
		}
		assert.Equal(t, 2, k.requests(t), "one refresh attempt in the interval")
		verify()
		assert.Equal(t, 3, k.requests(t))

		// Up to the bound, known kids verify whatever the refreshes do.
		for want := 4; time.Since(start) < cognito.DefaultMaxKeyAge-time.Second; want++ {
			time.Sleep(min(30*time.Minute, cognito.DefaultMaxKeyAge-time.Second-time.Since(start)))
			verify()
			require.Equal(t, want, k.requests(t), "at %v: one refresh attempt per call", time.Since(start))
		}
		assert.Equal(t, hits+uint64(calls), k.hits(), "the cached twin answered every call from its cache")

		time.Sleep(time.Second) // MaxKeyAge after the last successful fetch
		hits = k.hits()
		requireUnavailable(t, nil, k.verify(t, token))
		assert.Equal(t, hits, k.hits(), "a hit on a set past MaxKeyAge is refused")

		k.each(func(p *cognitotest.Pool) { p.SetJWKSHandler(nil) })
		time.Sleep(time.Second) // past the failure backoff
		require.NoError(t, k.verify(t, token), "recovers with the endpoint")
	})
}

// C-09: with no keys cached and an endpoint that accepts and never answers,
// callers do not pile up on it. The first fetch is shared by every caller
// (nothing is known to fail yet) and cut at its bound. The failure backoff
// runs from that fetch's end, so callers inside it get the failure at once
// without a request; after it, one caller waits on the next fetch while
// every other gets the last failure at once.
func TestJWKSHangingEndpointNoKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := memPool(t)
		pool.HangJWKS()
		v := newVerifier(t, pool)
		token := pool.AccessToken()
		verify := func() (time.Duration, error) {
			start := time.Now()
			c, err := v.Verify(ctx, token)
			if c != nil {
				err = errors.New("claims from a verifier without keys")
			}
			return time.Since(start), err
		}

		var waited [10]time.Duration
		var errs [10]error
		var wg sync.WaitGroup
		for i := range waited {
			wg.Go(func() { waited[i], errs[i] = verify() })
		}
		wg.Wait()
		first := errs[0]
		for i := range waited {
			requireUnavailable(t, nil, errs[i])
			assert.Equal(t, cognito.DefaultFetchTimeout, waited[i], "the first fetch is shared and bounded")
		}
		require.ErrorIs(t, first, context.DeadlineExceeded)
		require.Equal(t, 1, pool.JWKSRequests())

		// The backoff counts from the fetch's end, not its start.
		for range 10 {
			elapsed, err := verify()
			requireUnavailable(t, nil, err)
			assert.Zero(t, elapsed, "backing off: the last failure at once")
			assert.Equal(t, first.Error(), err.Error())
			time.Sleep(99 * time.Millisecond)
		}
		assert.Equal(t, 1, pool.JWKSRequests())
		time.Sleep(10 * time.Millisecond) // one second after the fetch's end

		type outcome struct {
			elapsed time.Duration
			err     error
		}
		leader := make(chan outcome, 1)
		go func() {
			elapsed, err := verify()
			leader <- outcome{elapsed, err}
		}()
		synctest.Wait() // the leader waits on its fetch
		assert.Equal(t, 2, pool.JWKSRequests())
		for range 20 {
			elapsed, err := verify()
			requireUnavailable(t, nil, err)
			assert.Zero(t, elapsed, "one caller at a time waits on a failing endpoint")
			assert.Equal(t, first.Error(), err.Error(), "the last failure")
			time.Sleep(200 * time.Millisecond)
		}
		assert.Equal(t, 2, pool.JWKSRequests())
		l := <-leader
		requireUnavailable(t, nil, l.err)
		assert.Equal(t, cognito.DefaultFetchTimeout, l.elapsed)

		pool.SetJWKSHandler(nil)
		time.Sleep(time.Second)
		_, err := v.Verify(ctx, token)
		require.NoError(t, err, "recovers with the endpoint")
	})
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

// A stress run bounded by a count of decisions: 32 goroutines with valid,
// forged, expired and unknown-kid tokens while keys rotate; every decision
// is checked. Fake time paces the workers (a millisecond between
// decisions) so that the rotations land mid-run on any machine, and no
// worker is stopped by a clock. synctest.Test returns only once every
// goroutine of the run (workers, fetches, handlers) has ended.
func TestStress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		pool := memPool(t)
		v := newVerifier(t, pool, func(c *cognito.Config) { c.RefetchInterval = 20 * time.Millisecond })

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

		const workers, perWorker = 32, 400
		var wg sync.WaitGroup
		t.Cleanup(wg.Wait) // a failing test still lets the workers finish in fake time
		var decisions atomic.Int64
		failures := make(chan string, 100)
		for g := range workers {
			wg.Go(func() {
				for i := range perWorker {
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
					time.Sleep(time.Millisecond)
				}
			})
		}
		// Rotate keys mid-run, a few times. As Cognito does, a new key is
		// published before tokens signed with it circulate: its tokens join
		// the mix once the verifier has fetched it, which a token of the
		// new key asks for (401 until the wait before an unknown kid may
		// fetch has passed, never 5xx).
		for r := range 5 {
			time.Sleep(20 * time.Millisecond)
			pool.RotateKeys()
			first := pool.AccessToken()
			for waited := time.Duration(0); ; waited += time.Millisecond {
				_, err := v.Verify(ctx, first)
				if err == nil {
					break
				}
				require.ErrorIs(t, err, cognito.ErrKeyNotFound, "rotation %d", r)
				require.Less(t, waited, time.Second, "rotation %d: the new key was never fetched", r)
				time.Sleep(time.Millisecond)
			}
			mint()
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		assert.Equal(t, int64(workers*perWorker), decisions.Load())
		t.Logf("%d decisions in %v of fake time across %d goroutines, %d JWKS requests",
			decisions.Load(), time.Since(start), workers, pool.JWKSRequests())
	})
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
