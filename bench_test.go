package cognito_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// benchSetup returns a verifier with its keys cached and a Cognito-shaped
// access token.
func benchSetup(b *testing.B) (*cognito.Verifier, *cognitotest.Pool, string) {
	pool := newPool(b)
	v := newVerifier(b, pool)
	token := pool.AccessToken(cognitotest.WithGroups("users"))
	if _, err := v.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	return v, pool, token
}

// BenchmarkVerifyFloor is the cost no verifier can avoid: SHA-256 of the
// signing input and the RSA check with a parsed key.
func BenchmarkVerifyFloor(b *testing.B) {
	_, pool, token := benchSetup(b)
	_, key := pool.SigningKey(cognito.AccessToken)
	pub := &key.PublicKey
	dot := strings.LastIndexByte(token, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(token[dot+1:])
	input := []byte(token[:dot])
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	cached, pool, token := benchSetup(b)
	fresh := newVerifier(b, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
	verify := func(b *testing.B, v *cognito.Verifier, token string) {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
	// A fresh token: every call parses and checks the signature.
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			verify(b, fresh, token)
		}
	})
	// The same token again, answered by the verified-token cache.
	b.Run("cache-hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			verify(b, cached, token)
		}
	})
	// Distinct tokens through a full cache: verification plus insertion
	// and eviction.
	b.Run("cache-miss", func(b *testing.B) {
		v := newVerifier(b, pool, func(c *cognito.Config) { c.TokenCacheSize = 64 })
		tokens := make([]string, 256)
		for i := range tokens {
			tokens[i] = pool.AccessToken(cognitotest.WithGroups("users"))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			verify(b, v, tokens[i%len(tokens)])
			i++
		}
	})
	parallel := func(v *cognito.Verifier) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(ctx, token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("fresh-parallel", parallel(fresh))
	b.Run("cache-hit-parallel", parallel(cached))
	b.Run("rejected-header", func(b *testing.B) {
		bad := enc(`{"alg":"none","kid":"x"}`) + token[strings.IndexByte(token, '.'):]
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fresh.Verify(ctx, bad); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

func BenchmarkParseMethodARN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cognito.ParseMethodARN("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes/42"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildPolicy(b *testing.B) {
	v, _, token := benchSetup(b)
	claims, _ := v.Verify(ctx, token)
	arn, _ := cognito.ParseMethodARN(testARN)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cognito.NewAuthPolicyFromClaims(claims, arn).AllowAllMethods().Build(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	_, pool, token := benchSetup(b)
	v := newVerifier(b, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	r := httptest.NewRequest("GET", "/notes", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkMultiVerifier is the cost of routing by issuer on top of Verify,
// on a cache hit (where it shows most).
func BenchmarkMultiVerifier(b *testing.B) {
	a := newPool(b, cognitotest.WithPoolID("us-east-1_PoolA"))
	other := newPool(b, cognitotest.WithPoolID("us-east-1_PoolB"))
	m, err := cognito.NewMultiVerifier(a.Config(), other.Config())
	if err != nil {
		b.Fatal(err)
	}
	token := a.AccessToken()
	if _, err := m.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
