package cognito_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito/cognitotest"
)

// albBenchSetup returns a verifier with its key cached and a load
// balancer's token.
func albBenchSetup(b *testing.B) (*cognitotest.ALB, string, func(string) error) {
	alb := newALB(b)
	v := newALBVerifier(b, alb)
	token := alb.Token(cognitotest.WithUser("alice"))
	verify := func(token string) error {
		_, err := v.Verify(ctx, token)
		return err
	}
	if err := verify(token); err != nil {
		b.Fatal(err)
	}
	return alb, token, verify
}

// BenchmarkALBVerifyFloor is the cost no verifier of this token can avoid:
// SHA-256 of the signing input and ecdsa.Verify with a parsed key and r, s
// decoded beforehand.
func BenchmarkALBVerifyFloor(b *testing.B) {
	alb, token, _ := albBenchSetup(b)
	_, key := alb.SigningKey()
	pub := &key.PublicKey
	dot := strings.LastIndexByte(token, '.')
	sig, err := base64.URLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	input := []byte(token[:dot])
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if !ecdsa.Verify(pub, digest[:], r, s) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkALBVerify is ALBVerifier.Verify with the key cached: framing,
// header, key lookup, signature and claims.
func BenchmarkALBVerify(b *testing.B) {
	_, token, verify := albBenchSetup(b)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := verify(token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// The cost of a refusal before any key or signature work.
	b.Run("signer-refused", func(b *testing.B) {
		alb, _, verify := albBenchSetup(b)
		other := alb.Token(cognitotest.WithHeader("signer", otherALBARN))
		b.ReportAllocs()
		for b.Loop() {
			if verify(other) == nil {
				b.Fatal("accepted")
			}
		}
	})
}
