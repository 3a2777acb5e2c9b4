package envconfig_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/examples/internal/envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, []byte(`{"keys":[]}`), 0o600))

	cfg, err := envconfig.Load(env(map[string]string{
		envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: " a, b ,,", envconfig.TokenUse: "id", envconfig.JWKSFile: jwks,
	}))
	require.NoError(t, err)
	assert.Equal(t, "us-east-1_AbC", cfg.UserPoolID)
	assert.Equal(t, []string{"a", "b"}, cfg.ClientIDs)
	assert.Equal(t, cognito.IDToken, cfg.TokenUse)
	assert.Equal(t, `{"keys":[]}`, string(cfg.JWKS))

	cfg, err = envconfig.Load(env(map[string]string{envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a"}))
	require.NoError(t, err)
	assert.Equal(t, cognito.AccessToken, cfg.TokenUse)
	assert.Nil(t, cfg.JWKS)

	for name, m := range map[string]map[string]string{
		"no pool":       {envconfig.ClientIDs: "a"},
		"no clients":    {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: " , "},
		"bad token use": {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a", envconfig.TokenUse: "refresh"},
		"missing file":  {envconfig.PoolID: "us-east-1_AbC", envconfig.ClientIDs: "a", envconfig.JWKSFile: "/nonexistent/jwks.json"},
	} {
		_, err := envconfig.Load(env(m))
		assert.Error(t, err, name)
	}
}
