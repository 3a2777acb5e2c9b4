package cognito_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// FuzzVerify checks that Verify never panics, returns claims exactly when
// it returns no error, puts every error in exactly one family, and accepts
// nothing but the byte-exact tokens the pool signed.
func FuzzVerify(f *testing.F) {
	pool := cognitotest.NewPool(cognitotest.WithClock(clock))
	f.Cleanup(pool.Close)
	cfg := pool.Config()
	cfg.JWKSURL, cfg.JWKS = "", pool.JWKS() // no network inside the fuzz loop
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	valid := map[string]bool{}
	for _, tok := range []string{
		pool.AccessToken(),
		pool.AccessToken(cognitotest.WithGroups("admin"), cognitotest.WithScopes("a", "b")),
		pool.AccessToken(cognitotest.WithHeader("typ", "JWT")),
	} {
		valid[tok] = true
		f.Add(tok)
	}
	h, p, s := parts(pool.AccessToken())
	for _, seed := range []string{
		"", ".", "..", "...", "a.b", "a.b.c", h + "." + p + ".", h + "==." + p + "." + s,
		enc(`{"alg":"none","kid":"x"}`) + "." + p + ".",
		enc(`{"alg":"RS256","kid":"x","crit":["b64"],"b64":false}`) + "." + p + "." + s,
		enc(`{"alg":"RS256","jwk":{}}`) + "." + p + "." + s,
		enc(`{"alg":"RS256","alg":"none"}`) + "." + p + "." + s,
		enc(`[]`) + "." + p + "." + s,
		h + "." + enc(`{"exp":1e400}`) + "." + s,
		h + "." + enc(`{"exp":null,"token_use":"access"}`) + "." + s,
		strings.Repeat("a.", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.Verify(ctx, token)
		if err == nil {
			if claims == nil {
				t.Fatal("no error and no claims")
			}
			if !valid[token] {
				t.Fatalf("accepted a token the pool never signed: %q", token)
			}
			return
		}
		if claims != nil {
			t.Fatal("claims returned with an error")
		}
		invalid := errors.Is(err, cognito.ErrInvalidToken)
		unavailable := errors.Is(err, cognito.ErrKeysUnavailable)
		if invalid == unavailable {
			t.Fatalf("error in %v families: %v", map[bool]string{true: "both", false: "neither"}[invalid], err)
		}
		if unavailable {
			t.Fatalf("fixed key set reported unavailable: %v", err)
		}
		if len(token) > 40 && strings.Contains(err.Error(), token) {
			t.Fatal("error message contains the token")
		}
	})
}
