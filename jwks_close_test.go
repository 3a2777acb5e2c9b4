package cognito

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyServer serves one key set to a jwksCache, counting requests; while
// hold is set, requests wait for it to be closed.
type keyServer struct {
	jwks     []byte
	requests atomic.Int64
	hold     chan struct{}
	arrived  chan struct{}
}

func newKeyServer(t *testing.T) *keyServer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
	return &keyServer{
		jwks:    []byte(`{"keys":[{"kid":"k1","kty":"RSA","alg":"RS256","use":"sig","e":"AQAB","n":"` + n + `"}]}`),
		arrived: make(chan struct{}, 10),
	}
}

func (s *keyServer) RoundTrip(req *http.Request) (*http.Response, error) {
	s.requests.Add(1)
	if s.hold != nil {
		s.arrived <- struct{}{}
		<-s.hold
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(s.jwks)), Request: req}, nil
}

func (s *keyServer) cache() *jwksCache {
	return &jwksCache{
		url:             "https://keys.example/jwks.json",
		client:          &http.Client{Transport: s},
		fetchTimeout:    time.Minute,
		refetchInterval: DefaultRefetchInterval,
		refreshAfter:    DefaultKeyRefreshInterval,
		maxAge:          DefaultMaxKeyAge,
		now:             time.Now,
	}
}

// A closed key cache fetches nothing, serves nothing, and a fetch that was
// running when it closed does not store its set.
func TestJWKSCacheClose(t *testing.T) {
	srv := newKeyServer(t)
	stored := 0
	c := srv.cache()
	c.onStore = func() { stored++ }
	_, s, err := c.lookup(t.Context(), []byte("k1"), time.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, stored)

	c.close()
	assert.False(t, c.serves(s, time.Now()), "a verified-token cache hit on a closed cache")
	_, _, err = c.lookup(t.Context(), []byte("k1"), time.Now())
	require.ErrorIs(t, err, ErrKeysUnavailable)
	require.ErrorIs(t, err, errRemoved)
	require.ErrorIs(t, c.warm(t.Context()), errRemoved)
	assert.Equal(t, int64(1), srv.requests.Load(), "no fetch after close")

	// Closed while fetching.
	srv.hold = make(chan struct{})
	c = srv.cache()
	c.onStore = func() { stored++ }
	done := make(chan error, 1)
	go func() { done <- c.warm(t.Context()) }()
	<-srv.arrived
	c.close()
	close(srv.hold)
	require.ErrorIs(t, <-done, errRemoved)
	assert.Nil(t, c.set.Load(), "the fetch brought the keys back")
	assert.Equal(t, 1, stored)
}

// Evicted keys are fetched again on the next lookup; fixed keys stay.
func TestJWKSCacheEvict(t *testing.T) {
	srv := newKeyServer(t)
	c := srv.cache()
	require.NoError(t, c.warm(t.Context()))
	c.evict()
	assert.Nil(t, c.set.Load())
	_, _, err := c.lookup(t.Context(), []byte("k1"), time.Now())
	require.NoError(t, err)
	assert.Equal(t, int64(2), srv.requests.Load())

	s, err := parseJWKS(srv.jwks)
	require.NoError(t, err)
	fixed := &jwksCache{fixed: true, now: time.Now}
	fixed.set.Store(s)
	fixed.evict()
	assert.Same(t, s, fixed.set.Load())
}
