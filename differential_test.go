package cognito_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/json"
)

// referenceVerify is an independent verification on plain go-jose:
// ParseSignedCompact with only RS256, Verify with the key of the header's
// kid, and the rules this library documents on top of it, written again
// here without the library's code. It says whether token is valid.
func referenceVerify(token string, keys map[string]*rsa.PublicKey, issuer, clientID string, now time.Time) bool {
	if len(token) > cognito.DefaultMaxTokenBytes || strings.ContainsAny(token, "\r\n") {
		return false
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return false
	}
	segs := strings.Split(token, ".")
	if len(segs) != 3 {
		return false
	}
	// Canonical base64url only.
	header, err := base64.RawURLEncoding.DecodeString(segs[0])
	if err != nil || base64.RawURLEncoding.EncodeToString(header) != segs[0] {
		return false
	}
	if base64.RawURLEncoding.EncodeToString(jws.UnsafePayloadWithoutVerification()) != segs[1] ||
		base64.RawURLEncoding.EncodeToString(jws.Signatures[0].Signature) != segs[2] {
		return false
	}
	// Header: alg, kid and typ only, as strings; typ JWT.
	var members map[string]any
	if json.Unmarshal(header, &members) != nil {
		return false
	}
	for name, value := range members {
		s, ok := value.(string)
		switch {
		case !ok:
			return false
		case name == "typ" && !strings.EqualFold(s, "JWT"):
			return false
		case name != "alg" && name != "kid" && name != "typ":
			return false
		}
	}
	kid := jws.Signatures[0].Protected.KeyID
	key := keys[kid]
	if kid == "" || len(kid) > 256 || key == nil {
		return false
	}
	payload, err := jws.Verify(key)
	if err != nil || !bytes.Equal(payload, jws.UnsafePayloadWithoutVerification()) {
		return false
	}
	p, err := cognito.DecodeReference(payload)
	if err != nil {
		return false
	}
	if p.Exp == nil || !now.Before(p.Exp.Time()) {
		return false
	}
	if (p.Nbf != nil && now.Before(p.Nbf.Time())) || (p.Iat != nil && now.Before(p.Iat.Time())) {
		return false
	}
	return p.Iss != nil && *p.Iss == issuer && p.TokenUse != nil && *p.TokenUse == "access" &&
		p.ClientID != nil && *p.ClientID == clientID && p.Sub != nil && *p.Sub != ""
}

// FuzzVerifyDifferential checks that Verify and the go-jose-based
// reference agree on every input.
func FuzzVerifyDifferential(f *testing.F) {
	pool := cognitotest.NewPool(cognitotest.WithClock(clock))
	f.Cleanup(pool.Close)
	cfg := pool.Config()
	cfg.JWKSURL, cfg.JWKS = "", pool.JWKS()
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(pool.JWKS(), &set); err != nil {
		f.Fatal(err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		keys[k.KeyID] = k.Key.(*rsa.PublicKey)
	}
	sign := func(header, payload string) string { return pool.Sign([]byte(header), []byte(payload)) }
	kid := pool.AccessKeyID()
	exp := strconv.FormatInt(fixedNow.Add(time.Hour).Unix(), 10)
	good := `{"sub":"s","iss":"` + pool.Issuer() + `","token_use":"access","client_id":"` + pool.ClientID + `","exp":` + exp + `}`
	for _, seed := range []string{
		pool.AccessToken(),
		pool.AccessToken(cognitotest.WithHeader("typ", "JWT")),
		pool.AccessToken(cognitotest.WithHeader("typ", "at+jwt")),
		pool.AccessToken(cognitotest.WithHeader("cty", "JWT")),
		pool.AccessToken(cognitotest.ExpiresIn(-time.Hour)),
		pool.AccessToken(cognitotest.WithClaim("client_id", "other")),
		pool.IDToken(),
		sign(`{"alg":"RS256","kid":"`+kid+`"}`, good),
		sign(` {"kid":"`+kid+`" , "alg":"RS256"} `, good),
		sign(`{"alg":"RS256","kid":"`+kid+`","kid":"`+kid+`"}`, good),
		sign(`{"alg":"RS256","k\u0069d":"`+kid+`"}`, good),
		sign(`{"alg":"RS256","kid":"`+kid+`"}`, `{"sub":"s","sub":"t"}`),
		sign(`{"alg":"RS256","kid":"`+kid+`"}`, strings.Replace(good, `"sub":"s"`, `"s\u0075b":"s"`, 1)),
		sign(`{"alg":"RS256","kid":"`+kid+`"}`, strings.Replace(good, exp, exp+".5", 1)),
		sign(`{"alg":"RS256","kid":"`+kid+`"}`, " "+good+"\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		_, err := v.Verify(ctx, token)
		want := referenceVerify(token, keys, pool.Issuer(), pool.ClientID, fixedNow)
		if (err == nil) != want {
			t.Fatalf("Verify says %v, the go-jose reference says valid=%v, for %q", err, want, token)
		}
	})
}
