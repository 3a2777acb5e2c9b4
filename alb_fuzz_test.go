package cognito_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// fixedALBVerifier returns a load balancer and a verifier with its keys
// fixed: no network inside the fuzz loop.
func fixedALBVerifier(f *testing.F) (*cognitotest.ALB, *cognito.ALBVerifier) {
	alb := cognitotest.NewALB(cognitotest.WithALBClock(clock))
	f.Cleanup(alb.Close)
	cfg := alb.Config()
	cfg.Keys, cfg.KeyURL, cfg.HTTPClient = alb.Keys(), "", nil
	v, err := cognito.NewALBVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	return alb, v
}

// FuzzALBVerify checks that Verify never panics, returns claims exactly
// when it returns no error, puts every error in exactly one family, and
// accepts nothing but the byte-exact tokens the load balancer signed.
func FuzzALBVerify(f *testing.F) {
	alb, v := fixedALBVerifier(f)
	valid := map[string]bool{}
	for _, tok := range []string{
		alb.Token(),
		alb.Token(cognitotest.WithUser("a"), cognitotest.WithClaim("identities", []map[string]string{{"providerName": "Google"}})),
		alb.Token(cognitotest.WithoutHeader("typ")),
	} {
		valid[tok] = true
		f.Add(tok)
	}
	good := alb.Token()
	valid[good] = true
	segs := strings.Split(good, ".")
	h, p, s := segs[0], segs[1], segs[2]
	for _, seed := range []string{
		"", ".", "..", "...", "a.b", "YQ==.YQ==.YQ==", realALBToken,
		strings.TrimRight(h, "=") + "." + p + "." + s,
		h + "." + p + "." + strings.TrimRight(s, "="),
		h + "=." + p + "." + s,
		strings.NewReplacer("-", "+", "_", "/").Replace(good),
		padded([]byte(`{"alg":"none"}`)) + "." + p + ".",
		padded([]byte(`{"alg":"ES256","kid":"../x","signer":"`+alb.ARN+`"}`)) + "." + p + "." + s,
		padded([]byte(`{"alg":"ES256","jku":"https://127.0.0.1/"}`)) + "." + p + "." + s,
		padded([]byte(`{"alg":"ES256","alg":"ES256"}`)) + "." + p + "." + s,
		padded([]byte(`[]`)) + "." + p + "." + s,
		h + "." + padded([]byte(`{"exp":1e400}`)) + "." + s,
		h + "." + p + "." + padded(make([]byte, 64)),
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
				t.Fatalf("accepted a token the load balancer never signed: %q", token)
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
			t.Fatalf("fixed keys reported unavailable: %v", err)
		}
		if len(token) > 40 && strings.Contains(err.Error(), token) {
			t.Fatal("error message contains the token")
		}
	})
}

// FuzzALBSignatureDifferential checks the signature decision against
// crypto/ecdsa on the decoded parts: a token whose signature segment is
// the padded encoding of sig is accepted exactly when sig is 64 bytes and
// ecdsa.Verify accepts r and s over SHA-256 of the signing input.
func FuzzALBSignatureDifferential(f *testing.F) {
	alb, v := fixedALBVerifier(f)
	token := alb.Token()
	dot := strings.LastIndexByte(token, '.')
	input := token[:dot]
	sig, err := base64.URLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		f.Fatal(err)
	}
	_, key := alb.SigningKey()
	pub := &key.PublicKey
	digest := sha256.Sum256([]byte(input))
	n := elliptic.P256().Params().N
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	rs := func(r, s *big.Int) []byte {
		out := make([]byte, 64)
		if r.BitLen() <= 256 && s.BitLen() <= 256 {
			r.FillBytes(out[:32])
			s.FillBytes(out[32:])
		}
		return out
	}
	der, err := ecdsa.SignASN1(nil, key, digest[:])
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		sig, rs(r, new(big.Int).Sub(n, s)), rs(s, r), rs(new(big.Int), s), rs(r, new(big.Int)),
		rs(n, s), rs(r, n), rs(new(big.Int).Sub(n, big.NewInt(1)), s), rs(big.NewInt(1), big.NewInt(1)),
		make([]byte, 64), der, sig[:63], append(append([]byte{}, sig...), 0), nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sig []byte) {
		want := len(sig) == 64 && ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		claims, err := v.Verify(ctx, input+"."+padded(sig))
		switch {
		case want && err != nil:
			t.Fatalf("crypto/ecdsa accepts, Verify refuses: %v", err)
		case !want && err == nil:
			t.Fatalf("crypto/ecdsa refuses, Verify accepts %x", sig)
		case !want && !errors.Is(err, cognito.ErrSignature):
			t.Fatalf("a bad signature refused for another reason: %v", err)
		case want && claims == nil:
			t.Fatal("no claims")
		}
	})
}
