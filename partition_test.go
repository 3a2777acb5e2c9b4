package cognito_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 11 §6: every pool ID form is recognised; issuers are derived only
// where AWS documents the host, and the others need Issuer.
func TestPartitions(t *testing.T) {
	cases := []struct {
		poolID string
		issuer string // derived; "" when NewVerifier must refuse
		errHas string // part of the refusal
	}{
		{"us-east-1_AbC123", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", ""},
		{"eu-central-2_AbC123", "https://cognito-idp.eu-central-2.amazonaws.com/eu-central-2_AbC123", ""},
		{"il-central-1_AbC123", "https://cognito-idp.il-central-1.amazonaws.com/il-central-1_AbC123", ""},
		{"mx-central-1_AbC123", "https://cognito-idp.mx-central-1.amazonaws.com/mx-central-1_AbC123", ""},
		{"ap-southeast-7_AbC123", "https://cognito-idp.ap-southeast-7.amazonaws.com/ap-southeast-7_AbC123", ""},
		{"ca-west-1_AbC123", "https://cognito-idp.ca-west-1.amazonaws.com/ca-west-1_AbC123", ""},
		{"us-gov-west-1_AbC123", "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123", ""},
		{"us-gov-east-1_AbC123", "https://cognito-idp.us-gov-east-1.amazonaws.com/us-gov-east-1_AbC123", ""},
		{"cn-north-1_AbC123", "", "aws-cn partition"},
		{"cn-northwest-1_AbC123", "", "aws-cn partition"},
		{"eusc-de-east-1_AbC123", "", "aws-eusc partition"},
		{"us-iso-east-1_AbC123", "", "aws-iso partition"},
		{"us-isob-east-1_AbC123", "", "aws-iso-b partition"},
		{"eu-isoe-west-1_AbC123", "", "aws-iso-e partition"},
		{"us-isof-south-1_AbC123", "", "aws-iso-f partition"},
		{"zz-east-1_AbC123", "", "no AWS partition known"},
		{"eusc-fr-east-1_AbC123", "", "no AWS partition known"},
		{"us-east-1", "", "not a Cognito user pool ID"},
		{"us-east-1_", "", "not a Cognito user pool ID"},
		{"us-east-1_Ab-C", "", "not a Cognito user pool ID"},
		{"us-east-x_AbC", "", "not a Cognito user pool ID"},
		{"USC-DE-EAST-1_AbC", "", "not a Cognito user pool ID"},
	}
	for _, tc := range cases {
		t.Run(tc.poolID, func(t *testing.T) {
			cfg := validConfig()
			cfg.UserPoolID = tc.poolID
			v, err := cognito.NewVerifier(cfg)
			if tc.issuer != "" {
				require.NoError(t, err)
				assert.Equal(t, tc.issuer, v.Issuer())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errHas)
			if tc.errHas != "not a Cognito user pool ID" {
				assert.Contains(t, err.Error(), "set Issuer", "the error says what to do")
			}
			// With Issuer set, the pool ID form is accepted.
			if tc.errHas != "not a Cognito user pool ID" {
				cfg.Issuer = "https://idp.example.eu/" + tc.poolID
				v, err = cognito.NewVerifier(cfg)
				require.NoError(t, err)
				assert.Equal(t, cfg.Issuer, v.Issuer())
			}
		})
	}
}

// A pool of a partition without a documented host verifies end to end
// once Issuer (and here JWKSURL) name it.
func TestPartitionWithIssuer(t *testing.T) {
	const poolID = "eusc-de-east-1_Sovereign1"
	pool := newPool(t, cognitotest.WithPoolID(poolID))
	iss := "https://idp.sovereign.example.eu/" + poolID // what the operator read from a real token
	cfg := pool.Config()
	cfg.Issuer = iss
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("iss", iss)))
	require.NoError(t, err)
	assert.Equal(t, iss, c.Issuer)
	c, err = v.Verify(ctx, pool.AccessToken()) // the amazonaws.com form the pool would guess
	requireRejected(t, cognito.ErrIssuer, c, err)

	cfg.Issuer = ""
	_, err = cognito.NewVerifier(cfg)
	assert.ErrorContains(t, err, "aws-eusc")
}

// UpdatedIssuer and ReplicaRegions derive hosts only for commercial pools,
// and replicas stay in the pool's partition.
func TestIssuerFormsByPartition(t *testing.T) {
	for name, change := range map[string]func(*cognito.Config){
		"updated issuer in GovCloud": func(c *cognito.Config) { c.UserPoolID, c.UpdatedIssuer = "us-gov-west-1_AbC", true },
		"replicas in GovCloud": func(c *cognito.Config) {
			c.UserPoolID, c.ReplicaRegions = "us-gov-west-1_AbC", []string{"us-gov-east-1"}
		},
		"GovCloud replica":             func(c *cognito.Config) { c.ReplicaRegions = []string{"us-gov-west-1"} },
		"China replica":                func(c *cognito.Config) { c.ReplicaRegions = []string{"cn-north-1"} },
		"Sovereign Cloud replica":      func(c *cognito.Config) { c.ReplicaRegions = []string{"eusc-de-east-1"} },
		"unknown replica region":       func(c *cognito.Config) { c.ReplicaRegions = []string{"zz-east-1"} },
		"replica with a host":          func(c *cognito.Config) { c.ReplicaRegions = []string{"eu-west-1.evil.example"} },
		"replica with a port":          func(c *cognito.Config) { c.ReplicaRegions = []string{"eu-west-1:443"} },
		"replica with user info":       func(c *cognito.Config) { c.ReplicaRegions = []string{"x@eu-west-1"} },
		"updated issuer for Sovereign": func(c *cognito.Config) { c.UserPoolID, c.UpdatedIssuer = "eusc-de-east-1_AbC", true },
	} {
		cfg := validConfig()
		change(&cfg)
		_, err := cognito.NewVerifier(cfg)
		assert.Error(t, err, name)
	}
	cfg := validConfig()
	cfg.UpdatedIssuer, cfg.ReplicaRegions = true, []string{"eu-west-1", "ap-southeast-7"}
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz",
		"https://cognito-idp.ap-southeast-7.amazonaws.com/us-east-1_AbC123xyz",
		"https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123xyz",
		"https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz",
	}, v.Issuers(), "the updated form only in the primary region")
}

// hostCounter routes each host's requests to a fake pool on loopback and
// counts them; an unrouted host is an error, so nothing leaves the machine.
type hostCounter struct {
	mu     sync.Mutex
	routes map[string]*cognitotest.Pool
	hits   map[string]int
}

func (h *hostCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hits[req.URL.Host]++
	pool := h.routes[req.URL.Host]
	h.mu.Unlock()
	if pool == nil {
		return nil, &url.Error{Op: "route", URL: req.URL.String(), Err: http.ErrNotSupported}
	}
	target, _ := url.Parse(pool.URL())
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = target.Scheme, target.Host, target.Host
	return pool.HTTPClient().Transport.RoundTrip(out)
}

func (h *hostCounter) count(host string) int { h.mu.Lock(); defer h.mu.Unlock(); return h.hits[host] }

// Issue 11 §7: Multi-Region Replication as AWS runs it since mid-2026 —
// a replica issues the primary region's iss — needs no option, and
// ReplicaRegions, kept for tokens of the earlier behaviour, costs nothing
// (no request) until such a token arrives.
func TestReplicaRegionsHarmless(t *testing.T) {
	const poolID = "us-east-1_Replicated1"
	primary := newPool(t, cognitotest.WithPoolID(poolID))
	oldReplica := newPool(t, cognitotest.WithPoolID(poolID))
	oldReplica.RotateKeys()
	oldReplica.RetireOldKeys()
	hc := &hostCounter{routes: map[string]*cognitotest.Pool{
		"cognito-idp.us-east-1.amazonaws.com": primary,
		"cognito-idp.eu-west-1.amazonaws.com": oldReplica,
	}, hits: map[string]int{}}
	cfg := cognito.Config{
		UserPoolID: poolID,
		ClientIDs:  []string{primary.ClientID},
		TokenUse:   cognito.AccessToken,
		HTTPClient: &http.Client{Transport: hc},
		Now:        clock,
	}
	without, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	cfg.ReplicaRegions = []string{"eu-west-1"}
	with, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)

	// A token a replica issues now carries the primary's iss and keys.
	fromReplica := primary.AccessToken()
	for name, v := range map[string]*cognito.Verifier{"without ReplicaRegions": without, "with ReplicaRegions": with} {
		_, err := v.Verify(ctx, fromReplica)
		require.NoError(t, err, name)
		require.NoError(t, v.Warm(ctx), name)
	}
	assert.Zero(t, hc.count("cognito-idp.eu-west-1.amazonaws.com"), "no request to a replica before its token arrives")

	// A token of the earlier behaviour: only with ReplicaRegions.
	old := oldReplica.AccessToken(cognitotest.WithClaim("iss", "https://cognito-idp.eu-west-1.amazonaws.com/"+poolID))
	c, err := without.Verify(ctx, old)
	requireRejected(t, cognito.ErrKeyNotFound, c, err) // one issuer: its keys are looked in first
	c, err = without.Verify(ctx, primary.AccessToken(cognitotest.WithClaim("iss", "https://cognito-idp.eu-west-1.amazonaws.com/"+poolID)))
	requireRejected(t, cognito.ErrIssuer, c, err)
	_, err = with.Verify(ctx, old)
	require.NoError(t, err)
	assert.Equal(t, 1, hc.count("cognito-idp.eu-west-1.amazonaws.com"))
}
