// Package benchmarks compares this library's Verify with the Go JWT
// libraries people use for Cognito tokens, on the same RS256 access token
// with its key already cached. It is a separate module so that the peers
// never reach the library's users. Run ./run.sh for the README table.
package benchmarks

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// peer verifies a token the way its library is meant to be used for a
// Cognito access token: signature, iss, exp, token_use and client_id,
// the last two by hand where the library has no option for them.
type peer struct {
	name   string
	verify func(token string) error
}

type fixture struct {
	pool  *cognitotest.Pool
	token string
	peers []peer
}

var errClaim = errors.New("claim check failed")

// cognitoClaims are the claims the peers check by hand.
type cognitoClaims struct {
	TokenUse string `json:"token_use"`
	ClientID string `json:"client_id"`
}

func (c cognitoClaims) check(clientID string) error {
	if c.TokenUse != "access" || c.ClientID != clientID {
		return errClaim
	}
	return nil
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	pool := cognitotest.NewPool(cognitotest.WithClock(clock))
	tb.Cleanup(pool.Close)
	jwks := pool.JWKS()
	iss, clientID := pool.Issuer(), pool.ClientID
	f := &fixture{pool: pool, token: pool.AccessToken(cognitotest.WithGroups("users"))}

	// This library, fresh (no verified-token cache) and cached.
	cfg := pool.Config()
	cfg.JWKSURL, cfg.JWKS, cfg.TokenCacheSize = "", jwks, -1
	fresh, err := cognito.NewVerifier(cfg)
	must(tb, err)
	cfg.TokenCacheSize = 0
	cached, err := cognito.NewVerifier(cfg)
	must(tb, err)
	ctx := context.Background()

	// golang-jwt v5 with keyfunc v3.
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks))
	must(tb, err)
	type gjwtClaims struct {
		gjwt.RegisteredClaims
		cognitoClaims
	}
	parser := gjwt.NewParser(gjwt.WithValidMethods([]string{"RS256"}), gjwt.WithIssuer(iss),
		gjwt.WithExpirationRequired(), gjwt.WithTimeFunc(clock))

	// go-jose v4.
	var set jose.JSONWebKeySet
	must(tb, json.Unmarshal(jwks, &set))

	// go-oidc v3 (access tokens have no aud: the client is checked by hand).
	var pubs []crypto.PublicKey
	for _, k := range set.Keys {
		pubs = append(pubs, k.Key)
	}
	oidcVerifier := oidc.NewVerifier(iss, &oidc.StaticKeySet{PublicKeys: pubs},
		&oidc.Config{SkipClientIDCheck: true, Now: clock, SupportedSigningAlgs: []string{oidc.RS256}})

	// lestrrat-go/jwx v3.
	jwxSet, err := jwk.Parse(jwks)
	must(tb, err)

	f.peers = []peer{
		{"cognito", func(t string) error { _, err := fresh.Verify(ctx, t); return err }},
		{"cognito-cache-hit", func(t string) error { _, err := cached.Verify(ctx, t); return err }},
		{"golang-jwt-v5", func(t string) error {
			var c gjwtClaims
			if _, err := parser.ParseWithClaims(t, &c, kf.Keyfunc); err != nil {
				return err
			}
			return c.check(clientID)
		}},
		{"go-jose-v4", func(t string) error {
			tok, err := josejwt.ParseSigned(t, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil || len(tok.Headers) != 1 {
				return fmt.Errorf("parse: %v", err)
			}
			keys := set.Key(tok.Headers[0].KeyID)
			if len(keys) != 1 {
				return errors.New("unknown kid")
			}
			var std josejwt.Claims
			var c cognitoClaims
			if err := tok.Claims(keys[0].Key, &std, &c); err != nil {
				return err
			}
			if std.Expiry == nil {
				return errClaim
			}
			if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: iss, Time: now}, 0); err != nil {
				return err
			}
			return c.check(clientID)
		}},
		{"go-oidc-v3", func(t string) error {
			tok, err := oidcVerifier.Verify(ctx, t)
			if err != nil {
				return err
			}
			var c cognitoClaims
			if err := tok.Claims(&c); err != nil {
				return err
			}
			return c.check(clientID)
		}},
		{"jwx-v3", func(t string) error {
			_, err := jwxjwt.Parse([]byte(t), jwxjwt.WithKeySet(jwxSet), jwxjwt.WithIssuer(iss),
				jwxjwt.WithClock(jwxjwt.ClockFunc(clock)), jwxjwt.WithClaimValue("token_use", "access"),
				jwxjwt.WithClaimValue("client_id", clientID))
			return err
		}},
	}
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// Every peer accepts the good token and rejects the bad ones, so the
// benchmark compares verifiers that do comparable work.
func TestPeersAgree(t *testing.T) {
	f := newFixture(t)
	dot := strings.LastIndexByte(f.token, '.')
	flipped := f.token[:dot+1] + flip(f.token[dot+1:])
	bad := map[string]string{
		"flipped signature": flipped,
		"expired":           f.pool.AccessToken(cognitotest.ExpiresIn(-time.Hour)),
		"other client":      f.pool.AccessToken(cognitotest.WithClaim("client_id", "other")),
		"ID token":          f.pool.IDToken(),
		"other issuer":      f.pool.AccessToken(cognitotest.WithClaim("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")),
	}
	for _, pr := range f.peers {
		if err := pr.verify(f.token); err != nil {
			t.Errorf("%s rejects the good token: %v", pr.name, err)
		}
		for name, tok := range bad {
			if err := pr.verify(tok); err == nil {
				t.Errorf("%s accepts a token with %s", pr.name, name)
			}
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

// BenchmarkVerify runs every peer on the same token. floor is what no
// verifier can avoid: SHA-256 of the signing input and the RSA check with
// a parsed key and a decoded signature.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	_, key := f.pool.SigningKey(cognito.AccessToken)
	pub := &key.PublicKey
	dot := strings.LastIndexByte(f.token, '.')
	input := []byte(f.token[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(f.token[dot+1:])
	must(b, err)
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			digest := sha256.Sum256(input)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, pr := range f.peers {
		b.Run(pr.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := pr.verify(f.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
