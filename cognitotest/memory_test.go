package cognitotest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, client *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	return client.Do(req)
}

// Both modes serve the same key set, count the same requests, and verify
// the same tokens.
func TestPoolModes(t *testing.T) {
	for name, opts := range map[string][]cognitotest.Option{
		"TLS":       nil,
		"in memory": {cognitotest.InMemory()},
	} {
		t.Run(name, func(t *testing.T) {
			pool := cognitotest.NewTestPool(t, opts...)
			assert.True(t, strings.HasPrefix(pool.JWKSURL(), pool.URL()+"/"+pool.PoolID+"/"))

			resp, err := get(t, pool.HTTPClient(), pool.JWKSURL())
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.JSONEq(t, string(pool.JWKS()), string(body))

			resp, err = get(t, pool.HTTPClient(), pool.URL()+"/elsewhere")
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.Equal(t, 2, pool.Requests())
			assert.Equal(t, 1, pool.JWKSRequests())

			pool.FailJWKS(http.StatusServiceUnavailable)
			resp, err = get(t, pool.HTTPClient(), pool.JWKSURL())
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.Equal(t, 2, pool.JWKSRequests(), "an overriding handler's requests are counted too")
			pool.SetJWKSHandler(nil)

			cfg := pool.Config()
			var late atomic.Bool // moves the verifier's clock past the wait before a new kid may fetch
			cfg.Now = func() time.Time {
				if late.Load() {
					return time.Now().Add(cognito.DefaultRefetchInterval)
				}
				return time.Now()
			}
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			_, err = v.Verify(t.Context(), pool.AccessToken())
			require.NoError(t, err)
			pool.RotateKeys()
			pool.RetireOldKeys()
			late.Store(true)
			_, err = v.Verify(t.Context(), pool.AccessToken())
			require.NoError(t, err, "a new kid is fetched")

			pool.Close()
			_, err = get(t, pool.HTTPClient(), pool.JWKSURL())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "refused")
		})
	}
}

// An in-memory pool answers its own client only, and only for its host.
func TestInMemoryReach(t *testing.T) {
	pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
	for _, url := range []string{
		"https://127.0.0.1/" + pool.PoolID + "/.well-known/jwks.json",
		"http://cognitotest.invalid/" + pool.PoolID + "/.well-known/jwks.json",
	} {
		_, err := get(t, pool.HTTPClient(), url)
		require.Error(t, err, url)
		assert.Contains(t, err.Error(), "no route to host")
	}
	assert.Zero(t, pool.Requests())

	// A redirect elsewhere is not followed into the network either.
	pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.1/jwks.json", http.StatusFound)
	}))
	_, err := get(t, pool.HTTPClient(), pool.JWKSURL())
	require.ErrorContains(t, err, "no route to host")
	assert.Equal(t, 1, pool.Requests())
}

// The body streams: the client reads each write as it is made, the
// handler's r.Context() ends when the client's context does, and a client
// that hangs up fails the handler's next write. Fake time makes the
// trickle instant.
func TestInMemoryStreaming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
		handlerErr := make(chan error, 1) // why the handler stopped
		pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; ; i++ {
				if _, err := w.Write([]byte{'a' + byte(i%26)}); err != nil {
					handlerErr <- err
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(time.Second):
				case <-r.Context().Done():
					handlerErr <- r.Context().Err()
					return
				}
			}
		}))

		// Trickle: one byte a second, read as it comes.
		start := time.Now()
		resp, err := get(t, pool.HTTPClient(), pool.JWKSURL())
		require.NoError(t, err)
		assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
		b := make([]byte, 10)
		n, err := io.ReadFull(resp.Body, b)
		require.NoError(t, err)
		assert.Equal(t, "abcdefghij", string(b[:n]))
		assert.Equal(t, 9*time.Second, time.Since(start), "each byte arrives when written")

		// Hanging up fails the handler's next write.
		require.NoError(t, resp.Body.Close())
		assert.Error(t, <-handlerErr, "the handler saw the client go")
		_, err = resp.Body.Read(b)
		assert.ErrorContains(t, err, "closed response body")

		// The client's deadline ends the handler's context and the read.
		ctx, cancel := context.WithTimeout(t.Context(), 3500*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pool.JWKSURL(), nil)
		require.NoError(t, err)
		resp, err = pool.HTTPClient().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, "abcd", string(body))
		assert.Equal(t, context.DeadlineExceeded, <-handlerErr)
		require.NoError(t, resp.Body.Close())
	})
}

// A handler that never answers holds the request until the client's
// context ends, exactly then in fake time, or until the pool closes and
// hangs up.
func TestInMemoryHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
		pool.HangJWKS()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pool.JWKSURL(), nil)
		require.NoError(t, err)
		start := time.Now()
		_, err = pool.HTTPClient().Do(req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start))

		errc := make(chan error, 1)
		req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, pool.JWKSURL(), nil)
		require.NoError(t, err)
		go func() {
			resp, err := pool.HTTPClient().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		synctest.Wait()
		pool.Close()
		assert.ErrorContains(t, <-errc, "connection closed: the pool is closed")
		assert.Equal(t, 2, pool.JWKSRequests())
	})
}

// Close hangs up requests in flight, whatever their handlers wait on: one
// waiting for the response head gets an error, one reading the body a cut.
func TestInMemoryCloseHangsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
		pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/body" {
				_, _ = w.Write([]byte("partial"))
			}
			<-r.Context().Done()
		}))
		head := make(chan error, 1)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, pool.URL()+"/head", nil)
		require.NoError(t, err)
		go func() {
			resp, err := pool.HTTPClient().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			head <- err
		}()
		resp, err := get(t, pool.HTTPClient(), pool.URL()+"/body")
		require.NoError(t, err)
		synctest.Wait()

		pool.Close()
		assert.ErrorContains(t, <-head, "the pool is closed")
		body, err := io.ReadAll(resp.Body)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Equal(t, "partial", string(body))
		require.NoError(t, resp.Body.Close())
	})
}

// A handler's panic drops the "connection": before the head, the request
// fails; after it, the body is cut short. The process does not crash.
func TestInMemoryPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
		pool.SetJWKSHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
		_, err := get(t, pool.HTTPClient(), pool.JWKSURL())
		require.ErrorContains(t, err, "connection closed: boom")

		pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":`))
			panic(http.ErrAbortHandler)
		}))
		resp, err := get(t, pool.HTTPClient(), pool.JWKSURL())
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "got %v", err)
		assert.Equal(t, `{"keys":`, string(body))
		require.NoError(t, resp.Body.Close())
	})
}

// In a bubble, a verifier of an in-memory pool meets a hanging endpoint at
// its fetch timeout exactly, in no real time.
func TestInMemoryVerifierInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := cognitotest.NewTestPool(t, cognitotest.InMemory())
		v, err := cognito.NewVerifier(pool.Config())
		require.NoError(t, err)
		token := pool.AccessToken()
		_, err = v.Verify(t.Context(), token)
		require.NoError(t, err)

		pool.HangJWKS()
		pool.RotateKeys()
		time.Sleep(cognito.DefaultRefetchInterval)
		start := time.Now()
		_, err = v.Verify(t.Context(), pool.AccessToken())
		require.ErrorIs(t, err, cognito.ErrKeysUnavailable)
		assert.Equal(t, cognito.DefaultFetchTimeout, time.Since(start))
		_, err = v.Verify(t.Context(), token)
		require.NoError(t, err, "the known kid still verifies")
	})
}
