package cognito

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"
)

// FuzzParseJWKS checks that no key set, however malformed, panics the
// parser or yields a key the verifier must not use.
func FuzzParseJWKS(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
	good := `{"kid":"a","kty":"RSA","alg":"RS256","use":"sig","e":"AQAB","n":"` + n + `"}`
	for _, seed := range []string{
		`{"keys":[` + good + `]}`,
		`{"keys":[` + good + `,` + good + `]}`,
		`{"keys":[{"kid":"b","kty":"RSA","e":"Aw","n":"` + n + `"},` + good + `]}`,
		`{"keys":[{"kid":"c","kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kid":"d","kty":"oct","k":"MTEx"}]}`,
		`{"keys":[{"kid":"e","kty":"RSA","e":"AQAB","n":"` + n + `","d":"AQAB"}]}`,
		`{"keys":[{"kid":"f","kty":"RSA","e":"AQAB","n":"` + n + `","x5c":["MIIB"]}]}`,
		`{"keys":[{"kid":"g","kty":"RSA","e":"AQAB","n":"` + n + `","key_ops":["sign"]}]}`,
		`{"keys":[]}`, `{"keys":null}`, `{}`, `[]`, `{"keys":[1,"x",null,{}]}`, `{"keys":[` + good + `],"keys":[]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseJWKS(data)
		if err != nil {
			if s != nil {
				t.Fatal("a key set with an error")
			}
			return
		}
		if len(s.keys) == 0 || len(s.keys) > maxJWKSKeys {
			t.Fatalf("%d keys accepted", len(s.keys))
		}
		for kid, k := range s.keys {
			switch {
			case kid == "" || len(kid) > maxKidBytes:
				t.Fatalf("kid %q accepted", kid)
			case s.ambiguous[kid]:
				t.Fatalf("ambiguous kid %q usable", kid)
			case k.N.BitLen() < minRSABits || k.N.Bit(0) == 0 || k.E != rsaExponent:
				t.Fatalf("weak key accepted for %q: %d bits, e=%d", kid, k.N.BitLen(), k.E)
			case k.N.Cmp(big.NewInt(0)) <= 0:
				t.Fatal("non-positive modulus")
			}
		}
	})
}
