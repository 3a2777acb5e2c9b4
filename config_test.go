package cognito_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validConfig() cognito.Config {
	return cognito.Config{
		UserPoolID: "us-east-1_AbC123xyz",
		ClientIDs:  []string{"4f3kexampleappclient"},
		TokenUse:   cognito.AccessToken,
	}
}

// K-45: an invalid configuration fails in NewVerifier, never at Verify.
func TestNewVerifierRejectsConfig(t *testing.T) {
	cases := map[string]func(*cognito.Config){
		"pool ID missing":            func(c *cognito.Config) { c.UserPoolID = "" },
		"pool ID path traversal":     func(c *cognito.Config) { c.UserPoolID = "us-east-1_abc/../x" },
		"pool ID upper-case region":  func(c *cognito.Config) { c.UserPoolID = "US-EAST-1_abc" },
		"pool ID without region":     func(c *cognito.Config) { c.UserPoolID = "AbC123xyz" },
		"pool ID with a URL":         func(c *cognito.Config) { c.UserPoolID = "https://evil.example/x" },
		"pool ID trailing newline":   func(c *cognito.Config) { c.UserPoolID = "us-east-1_abc\n" },
		"token use missing":          func(c *cognito.Config) { c.TokenUse = "" },
		"token use other":            func(c *cognito.Config) { c.TokenUse = "refresh" },
		"client IDs missing":         func(c *cognito.Config) { c.ClientIDs = nil },
		"client ID empty string":     func(c *cognito.Config) { c.ClientIDs = []string{""} },
		"client IDs and skip":        func(c *cognito.Config) { c.SkipClientIDCheck = true },
		"empty group":                func(c *cognito.Config) { c.Groups = []string{"admin", ""} },
		"empty scope":                func(c *cognito.Config) { c.Scopes = []string{""} },
		"scopes with ID tokens":      func(c *cognito.Config) { c.TokenUse, c.Scopes = cognito.IDToken, []string{"openid"} },
		"negative leeway":            func(c *cognito.Config) { c.Leeway = -time.Second },
		"leeway over 5 min":          func(c *cognito.Config) { c.Leeway = 5*time.Minute + time.Second },
		"negative max token bytes":   func(c *cognito.Config) { c.MaxTokenBytes = -1 },
		"max token bytes over 1 MiB": func(c *cognito.Config) { c.MaxTokenBytes = 1<<20 + 1 },
		"negative fetch timeout":     func(c *cognito.Config) { c.FetchTimeout = -time.Second },
		"negative refetch interval":  func(c *cognito.Config) { c.RefetchInterval = -time.Second },
		"JWKS URL plain http":        func(c *cognito.Config) { c.JWKSURL = "http://keys.example.com/jwks.json" },
		"JWKS URL relative":          func(c *cognito.Config) { c.JWKSURL = "/jwks.json" },
		"JWKS URL with query":        func(c *cognito.Config) { c.JWKSURL = "https://keys.example.com/jwks.json?x=1" },
		"JWKS URL with user info":    func(c *cognito.Config) { c.JWKSURL = "https://u:p@keys.example.com/jwks.json" },
		"JWKS and JWKS URL": func(c *cognito.Config) {
			c.JWKS, c.JWKSURL = []byte(`{"keys":[]}`), "https://keys.example.com/jwks.json"
		},
		"JWKS invalid":                func(c *cognito.Config) { c.JWKS = []byte(`{"keys":[]}`) },
		"issuer plain http":           func(c *cognito.Config) { c.Issuer = "http://cognito.example.com/pool" },
		"issuer trailing slash":       func(c *cognito.Config) { c.Issuer = "https://cognito.example.com/pool/" },
		"issuer ending in ?":          func(c *cognito.Config) { c.Issuer = "https://cognito.example.com/pool?" },
		"issuer ending in #":          func(c *cognito.Config) { c.Issuer = "https://cognito.example.com/pool#" },
		"JWKS URL ending in ?":        func(c *cognito.Config) { c.JWKSURL = "https://keys.example.com/jwks.json?" },
		"issuer not a URL":            func(c *cognito.Config) { c.Issuer = "cognito" },
		"issuer and odd pool ID":      func(c *cognito.Config) { c.Issuer, c.UserPoolID = "https://cognito.example.com/pool", "a/b" },
		"http on a non-loopback host": func(c *cognito.Config) { c.Issuer = "http://localstack:4566/pool" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := validConfig()
			change(&cfg)
			v, err := cognito.NewVerifier(cfg)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.Contains(t, err.Error(), "cognito: invalid config")
		})
	}
}

func TestNewVerifierAcceptsConfig(t *testing.T) {
	cases := map[string]struct {
		change func(*cognito.Config)
		issuer string
	}{
		"plain pool":    {func(*cognito.Config) {}, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz"},
		"GovCloud pool": {func(c *cognito.Config) { c.UserPoolID = "us-gov-west-1_AbC" }, "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC"},
		"ID tokens":     {func(c *cognito.Config) { c.TokenUse = cognito.IDToken }, ""},
		"skip client":   {func(c *cognito.Config) { c.ClientIDs, c.SkipClientIDCheck = nil, true }, ""},
		"leeway 5 min":  {func(c *cognito.Config) { c.Leeway = 5 * time.Minute }, ""},
		"emulator on http": {func(c *cognito.Config) {
			c.UserPoolID, c.Issuer = "local_5Zt3Yqma", "http://localhost:9229/local_5Zt3Yqma"
		}, "http://localhost:9229/local_5Zt3Yqma"},
		"emulator on 127.0.0.1": {func(c *cognito.Config) {
			c.Issuer, c.JWKSURL = "http://127.0.0.1:4566/us-east-1_x", "http://127.0.0.1:4566/us-east-1_x/.well-known/jwks.json"
		}, "http://127.0.0.1:4566/us-east-1_x"},
		"issuer without pool ID": {func(c *cognito.Config) { c.UserPoolID, c.Issuer = "", "https://idp.example.com/p" }, "https://idp.example.com/p"},
		"custom client":          {func(c *cognito.Config) { c.HTTPClient = &http.Client{} }, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := validConfig()
			tc.change(&cfg)
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			if tc.issuer != "" {
				assert.Equal(t, tc.issuer, v.Issuer())
			}
		})
	}
}

// NewVerifier copies its slices: changing the caller's Config afterwards
// does not change what the verifier accepts.
func TestNewVerifierCopiesConfig(t *testing.T) {
	pool := newPool(t)
	cfg := pool.Config()
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	cfg.ClientIDs[0] = "changed"
	_, err = v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)
}
