package envconfig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, []byte(`{"keys":[]}`), 0o600))

	cfg, err := envconfig.Load(env(map[string]string{
		envconfig.PoolID: " us-east-1_AbC ", envconfig.ClientIDs: " a, b ,,", envconfig.TokenUse: "id", envconfig.JWKSFile: jwks,
	}))
	require.NoError(t, err)
	assert.Equal(t, cognito.Config{UserPoolID: "us-east-1_AbC", ClientIDs: []string{"a", "b"}, TokenUse: cognito.IDToken, JWKS: []byte(`{"keys":[]}`)}, cfg)

	cfg, err = envconfig.Load(env(map[string]string{envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a"}))
	require.NoError(t, err)
	assert.Equal(t, cognito.Config{UserPoolID: "us-east-1_AbC", ClientIDs: []string{"a"}, TokenUse: cognito.AccessToken}, cfg)

	// An emulator: issuer and key set URL given, http on a container network.
	cfg, err = envconfig.Load(env(map[string]string{
		envconfig.Issuer: "http://cognito-local:9229/local_5Zt3Yqma", envconfig.JWKSURL: "http://cognito-local:9229/local_5Zt3Yqma/.well-known/jwks.json",
		envconfig.ClientIDs: "c", envconfig.AllowHTTP: "true",
	}))
	require.NoError(t, err)
	assert.Equal(t, cognito.Config{
		ClientIDs: []string{"c"}, TokenUse: cognito.AccessToken, AllowHTTP: true,
		Issuer: "http://cognito-local:9229/local_5Zt3Yqma", JWKSURL: "http://cognito-local:9229/local_5Zt3Yqma/.well-known/jwks.json",
	}, cfg)
	_, err = cognito.NewVerifier(cfg)
	require.NoError(t, err)
	cfg.AllowHTTP = false
	_, err = cognito.NewVerifier(cfg)
	require.Error(t, err, "http off loopback needs the flag")

	for name, m := range map[string]map[string]string{
		"no pool":         {envconfig.ClientIDs: "a"},
		"no clients":      {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: " , "},
		"bad token use":   {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a", envconfig.TokenUse: "refresh"},
		"missing file":    {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a", envconfig.JWKSFile: "/nonexistent/jwks.json"},
		"allow http: yes": {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a", envconfig.AllowHTTP: "yes"},
	} {
		cfg, err := envconfig.Load(env(m))
		require.Error(t, err, name)
		assert.Zero(t, cfg, name)
	}
	_, err = envconfig.Load(env(map[string]string{envconfig.ClientIDs: "a"}))
	assert.ErrorContains(t, err, "COGNITO_USER_POOL_ID is not set")
}

// A local_ pool of an emulator verifies once Issuer and JWKSURL are set;
// without them its ID fails the pool ID pattern.
func TestLoadEmulatorPool(t *testing.T) {
	pool := cognitotest.NewTestPool(t, cognitotest.WithPoolID("local_5Zt3Yqma"))
	m := map[string]string{envconfig.PoolID: pool.PoolID, envconfig.ClientIDs: pool.ClientID}
	cfg, err := envconfig.Load(env(m))
	require.NoError(t, err)
	_, err = cognito.NewVerifier(cfg)
	require.Error(t, err)

	m[envconfig.Issuer], m[envconfig.JWKSURL] = pool.Issuer(), pool.JWKSURL()
	cfg, err = envconfig.Load(env(m))
	require.NoError(t, err)
	cfg.HTTPClient = pool.HTTPClient() // the fake pool's TLS certificate
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	claims, err := v.Verify(context.Background(), pool.AccessToken())
	require.NoError(t, err)
	assert.Equal(t, pool.Subject(cognitotest.DefaultUsername), claims.Subject)
}

func TestNames(t *testing.T) {
	for _, n := range envconfig.Names {
		assert.True(t, strings.HasPrefix(n, envconfig.Prefix), n)
	}
	assert.Len(t, envconfig.Names, 7)
}
