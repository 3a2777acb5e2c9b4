// Package envconfig reads a cognito.Config from the environment variables
// the example programs document.
package envconfig

import (
	"fmt"
	"os"
	"strings"

	"github.com/cognito-verify/cognito"
)

// Environment variable names.
const (
	PoolID    = "COGNITO_USER_POOL_ID" // us-east-1_AbC123xyz
	ClientIDs = "COGNITO_CLIENT_IDS"   // comma-separated app client IDs
	TokenUse  = "COGNITO_TOKEN_USE"    // access (default) or id
	JWKSFile  = "COGNITO_JWKS_FILE"    // optional: a saved jwks.json; then keys are never fetched
)

// Load returns the verifier configuration described by getenv. The pool ID
// and client IDs are required; cognito.NewVerifier validates the rest.
func Load(getenv func(string) string) (cognito.Config, error) {
	cfg := cognito.Config{
		UserPoolID: strings.TrimSpace(getenv(PoolID)),
		TokenUse:   cognito.AccessToken,
	}
	if cfg.UserPoolID == "" {
		return cfg, fmt.Errorf("%s is not set", PoolID)
	}
	for _, id := range strings.Split(getenv(ClientIDs), ",") {
		if id = strings.TrimSpace(id); id != "" {
			cfg.ClientIDs = append(cfg.ClientIDs, id)
		}
	}
	if len(cfg.ClientIDs) == 0 {
		return cfg, fmt.Errorf("%s is not set (comma-separated app client IDs)", ClientIDs)
	}
	switch use := strings.TrimSpace(getenv(TokenUse)); use {
	case "", "access":
	case "id":
		cfg.TokenUse = cognito.IDToken
	default:
		return cfg, fmt.Errorf("%s is %q, want access or id", TokenUse, use)
	}
	if path := getenv(JWKSFile); path != "" {
		jwks, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", JWKSFile, err)
		}
		cfg.JWKS = jwks
	}
	return cfg, nil
}
