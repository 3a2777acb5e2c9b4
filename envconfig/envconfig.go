// Package envconfig reads a [cognito.Config] from environment variables, for
// programs configured the twelve-factor way (a Lambda function, a container):
//
//	cfg, err := envconfig.Load(os.Getenv)
//	if err != nil {
//		return err // says which variable is missing or wrong
//	}
//	v, err := cognito.NewVerifier(cfg)
//
// The variables, each read once by Load:
//
//	COGNITO_USER_POOL_ID  us-east-1_AbC123xyz; the issuer and key set URL are derived from it
//	COGNITO_CLIENT_IDS    comma-separated app client IDs (required)
//	COGNITO_TOKEN_USE     access (default) or id
//	COGNITO_JWKS_FILE     a saved jwks.json: keys are read from it and never fetched
//	COGNITO_ISSUER        the iss of the tokens, for emulators (cognito-local: http://127.0.0.1:9229/local_AbC)
//	COGNITO_JWKS_URL      where the key set is served, for emulators
//	COGNITO_ALLOW_HTTP    true: accept http issuer and key set URLs on any host (an emulator on a
//	                      container network); http on loopback hosts needs no flag
//
// One of COGNITO_USER_POOL_ID and COGNITO_ISSUER is required. Load checks
// the form of each variable; [cognito.NewVerifier] validates the result as
// it validates every Config. The package is part of the library module and
// needs nothing beyond it.
package envconfig

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cognito-verify/cognito"
)

// Environment variable names.
const (
	PoolID    = "COGNITO_USER_POOL_ID"
	ClientIDs = "COGNITO_CLIENT_IDS"
	TokenUse  = "COGNITO_TOKEN_USE"
	JWKSFile  = "COGNITO_JWKS_FILE"
	Issuer    = "COGNITO_ISSUER"
	JWKSURL   = "COGNITO_JWKS_URL"
	AllowHTTP = "COGNITO_ALLOW_HTTP"
)

// Prefix starts the name of every variable Load reads. A program can treat
// any variable with it that Load does not know as a typing error.
const Prefix = "COGNITO_"

// Names lists the variables Load reads.
var Names = []string{PoolID, ClientIDs, TokenUse, JWKSFile, Issuer, JWKSURL, AllowHTTP}

// Load returns the verifier configuration described by getenv (os.Getenv,
// or a lookup in a map for tests). Surrounding spaces are ignored; a
// variable set to the empty string counts as unset.
func Load(getenv func(string) string) (cognito.Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg := cognito.Config{
		UserPoolID: get(PoolID),
		TokenUse:   cognito.AccessToken,
		Issuer:     get(Issuer),
		JWKSURL:    get(JWKSURL),
	}
	if cfg.UserPoolID == "" && cfg.Issuer == "" {
		return cognito.Config{}, fmt.Errorf("%s is not set (or %s, for an emulator)", PoolID, Issuer)
	}
	for _, id := range strings.Split(getenv(ClientIDs), ",") {
		if id = strings.TrimSpace(id); id != "" {
			cfg.ClientIDs = append(cfg.ClientIDs, id)
		}
	}
	if len(cfg.ClientIDs) == 0 {
		return cognito.Config{}, fmt.Errorf("%s is not set (comma-separated app client IDs)", ClientIDs)
	}
	switch use := get(TokenUse); use {
	case "", "access":
	case "id":
		cfg.TokenUse = cognito.IDToken
	default:
		return cognito.Config{}, fmt.Errorf("%s is %q, want access or id", TokenUse, use)
	}
	if s := get(AllowHTTP); s != "" {
		allow, err := strconv.ParseBool(s)
		if err != nil {
			return cognito.Config{}, fmt.Errorf("%s is %q, want true or false", AllowHTTP, s)
		}
		cfg.AllowHTTP = allow
	}
	if path := get(JWKSFile); path != "" {
		jwks, err := os.ReadFile(path)
		if err != nil {
			return cognito.Config{}, fmt.Errorf("%s: %w", JWKSFile, err)
		}
		cfg.JWKS = jwks
	}
	return cfg, nil
}
