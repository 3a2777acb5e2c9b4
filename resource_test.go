package cognito_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepClock is a clock a test moves by hand, safe for concurrent use.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock { return &stepClock{now: fixedNow} }

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stepClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// Issue 11 §1: Resources requires an access token's aud (its resource
// binding) to name the API; client_id is still the client rule; without
// Resources, aud is not checked, as before.
func TestResources(t *testing.T) {
	pool := newPool(t)
	const api = "https://api.example.com/notes"
	cases := []struct {
		name      string
		resources []string
		opts      []cognitotest.TokenOption
		reason    error // nil: accepted
	}{
		{"no Resources: an unbound token", nil, nil, nil},
		{"no Resources: a token bound to another API is not checked", nil, []cognitotest.TokenOption{cognitotest.WithResource("https://other.example.com")}, nil},
		{"bound to the API", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(api)}, nil},
		{"aud array holding the API", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource("https://other.example.com", api)}, nil},
		{"one of several configured resources", []string{"https://a.example.com", api}, []cognitotest.TokenOption{cognitotest.WithResource(api)}, nil},
		{"bound to another API", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource("https://other.example.com")}, cognito.ErrResource},
		{"an unbound token", []string{api}, nil, cognito.ErrResource},
		{"aud empty array", []string{api}, []cognitotest.TokenOption{cognitotest.WithClaim("aud", []string{})}, cognito.ErrResource},
		{"aud null", []string{api}, []cognitotest.TokenOption{cognitotest.WithClaim("aud", nil)}, cognito.ErrResource},
		{"aud a number", []string{api}, []cognitotest.TokenOption{cognitotest.WithClaim("aud", 7)}, cognito.ErrClaim},
		{"aud differs in case", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(strings.ToUpper(api))}, cognito.ErrResource},
		{"aud with a trailing slash", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(api + "/")}, cognito.ErrResource},
		{"the app client in aud is not a resource", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(pool.ClientID)}, cognito.ErrResource},
		{"client_id still checked", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(api), cognitotest.WithClaim("client_id", "other")}, cognito.ErrClient},
		{"client_id still required", []string{api}, []cognitotest.TokenOption{cognitotest.WithResource(api), cognitotest.WithoutClaim("client_id")}, cognito.ErrClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.Resources = tc.resources })
			c, err := v.Verify(ctx, pool.AccessToken(tc.opts...))
			requireOutcome(t, tc.reason, c, err)
			if tc.reason == nil {
				assert.Equal(t, pool.ClientID, c.ClientID, "the client is client_id, never aud")
			}
		})
	}

	// The binding is reported in Audience.
	v := newVerifier(t, pool, func(c *cognito.Config) { c.Resources = []string{api} })
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithResource(api)))
	require.NoError(t, err)
	assert.Equal(t, []string{api}, c.Audience)
}
