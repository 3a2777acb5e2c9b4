package cognitotest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// segment returns the decoded i-th segment of a compact JWS.
func segment(t *testing.T, token string, i int) []byte {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
	require.NoError(t, err)
	return b
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func headerOf(t *testing.T, token string) map[string]any  { return decode(t, segment(t, token, 0)) }
func payloadOf(t *testing.T, token string) map[string]any { return decode(t, segment(t, token, 1)) }

// requireSignedBy checks the RS256 signature of token with key.
func requireSignedBy(t *testing.T, key *rsa.PrivateKey, token string) {
	t.Helper()
	input := token[:strings.LastIndexByte(token, '.')]
	digest := sha256.Sum256([]byte(input))
	require.NoError(t, rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], segment(t, token, 2)))
}

const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

// The default tokens carry exactly Cognito's claims, with the pool's clock,
// and are signed by the key their kid names.
func TestDefaultTokens(t *testing.T) {
	pool := newPool(t)
	now := float64(fixedNow.Unix())
	common := func(use string) map[string]any {
		return map[string]any{
			"sub": pool.Subject(cognitotest.DefaultUsername), "iss": pool.Issuer(), "token_use": use,
			"auth_time": now, "iat": now, "exp": now + 3600,
		}
	}
	access := common("access")
	access["client_id"] = pool.ClientID
	access["scope"] = "aws.cognito.signin.user.admin"
	access["username"] = cognitotest.DefaultUsername
	id := common("id")
	id["aud"] = pool.ClientID
	id["cognito:username"] = cognitotest.DefaultUsername
	id["email"] = cognitotest.DefaultUsername + "@example.com"
	id["email_verified"] = true

	cases := []struct {
		name  string
		use   cognito.TokenUse
		token string
		want  map[string]any
	}{
		{"access", cognito.AccessToken, pool.AccessToken(), access},
		{"id", cognito.IDToken, pool.IDToken(), id},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kid, key := pool.SigningKey(tc.use)
			assert.Equal(t, map[string]any{"alg": "RS256", "kid": kid}, headerOf(t, tc.token))
			requireSignedBy(t, key, tc.token)

			got := payloadOf(t, tc.token)
			for _, name := range []string{"jti", "origin_jti", "event_id"} {
				assert.Regexp(t, uuidPattern, got[name], name)
				delete(got, name)
			}
			assert.Equal(t, tc.want, got)

			cfg := pool.Config()
			cfg.TokenUse = tc.use
			v, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			c, err := v.Verify(context.Background(), tc.token)
			require.NoError(t, err)
			assert.Equal(t, cognitotest.DefaultUsername, c.Username)
		})
	}

	// Each token has its own IDs.
	a, b := payloadOf(t, pool.AccessToken()), payloadOf(t, pool.AccessToken())
	for _, name := range []string{"jti", "origin_jti", "event_id"} {
		assert.NotEqual(t, a[name], b[name], name)
	}
}

// Every minting option, on the claims or header it changes.
func TestTokenOptions(t *testing.T) {
	pool := newPool(t)
	now := fixedNow.Unix()
	cases := []struct {
		name   string
		opts   []cognitotest.TokenOption
		id     bool           // mint an ID token
		claims map[string]any // expected values; nil: the claim is absent
		header map[string]any
	}{
		{"user", []cognitotest.TokenOption{cognitotest.WithUser("bob")}, false,
			map[string]any{"sub": pool.Subject("bob"), "username": "bob"}, nil},
		{"user in an ID token", []cognitotest.TokenOption{cognitotest.WithUser("bob")}, true,
			map[string]any{"sub": pool.Subject("bob"), "cognito:username": "bob", "email": "bob@example.com", "username": nil}, nil},
		{"claim replaces a default", []cognitotest.TokenOption{cognitotest.WithClaim("token_use", "id")}, false,
			map[string]any{"token_use": "id"}, nil},
		{"claim adds", []cognitotest.TokenOption{cognitotest.WithClaim("custom:tenant", "acme")}, false,
			map[string]any{"custom:tenant": "acme"}, nil},
		{"claim of any JSON value", []cognitotest.TokenOption{cognitotest.WithClaim("x", []any{1, "a", nil})}, false,
			map[string]any{"x": []any{1.0, "a", nil}}, nil},
		{"without a claim", []cognitotest.TokenOption{cognitotest.WithoutClaim("client_id")}, false,
			map[string]any{"client_id": nil, "sub": pool.Subject(cognitotest.DefaultUsername)}, nil},
		{"without a claim never set", []cognitotest.TokenOption{cognitotest.WithoutClaim("nope")}, false,
			map[string]any{"nope": nil}, nil},
		{"groups", []cognitotest.TokenOption{cognitotest.WithGroups("admin", "users")}, false,
			map[string]any{"cognito:groups": []any{"admin", "users"}}, nil},
		{"scopes", []cognitotest.TokenOption{cognitotest.WithScopes("openid", "notes/write")}, false,
			map[string]any{"scope": "openid notes/write"}, nil},
		{"the last option wins", []cognitotest.TokenOption{cognitotest.WithClaim("scope", "a"), cognitotest.WithScopes("b")}, false,
			map[string]any{"scope": "b"}, nil},
		{"expires in", []cognitotest.TokenOption{cognitotest.ExpiresIn(5 * time.Minute)}, false,
			map[string]any{"exp": float64(now + 300), "iat": float64(now)}, nil},
		{"expired", []cognitotest.TokenOption{cognitotest.ExpiresIn(-time.Minute)}, true,
			map[string]any{"exp": float64(now - 60)}, nil},
		{"an exp claim beats ExpiresIn", []cognitotest.TokenOption{cognitotest.WithClaim("exp", 7), cognitotest.ExpiresIn(time.Minute)}, false,
			map[string]any{"exp": 7.0}, nil},
		{"header added", []cognitotest.TokenOption{cognitotest.WithHeader("typ", "JWT")}, false,
			nil, map[string]any{"alg": "RS256", "kid": pool.AccessKeyID(), "typ": "JWT"}},
		{"header replaced", []cognitotest.TokenOption{cognitotest.WithHeader("kid", "other")}, false,
			nil, map[string]any{"alg": "RS256", "kid": "other"}},
		{"header removed", []cognitotest.TokenOption{cognitotest.WithoutHeader("kid")}, true,
			nil, map[string]any{"alg": "RS256"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mint, use := pool.AccessToken, cognito.AccessToken
			if tc.id {
				mint, use = pool.IDToken, cognito.IDToken
			}
			token := mint(tc.opts...)
			got := payloadOf(t, token)
			for name, want := range tc.claims {
				if want == nil {
					assert.NotContains(t, got, name)
				} else {
					assert.Equal(t, want, got[name], name)
				}
			}
			if tc.header != nil {
				assert.Equal(t, tc.header, headerOf(t, token))
			}
			// Options change claims and header, never the signing key.
			_, key := pool.SigningKey(use)
			requireSignedBy(t, key, token)
		})
	}
}

// Subject is a stable UUID per pool and user.
func TestSubject(t *testing.T) {
	pool := newPool(t)
	other := newPool(t, cognitotest.WithPoolID("eu-west-1_Other"))
	cases := []struct {
		name string
		a, b string
		same bool
	}{
		{"same user", pool.Subject("alice"), pool.Subject("alice"), true},
		{"other user", pool.Subject("alice"), pool.Subject("bob"), false},
		{"other pool", pool.Subject("alice"), other.Subject("alice"), false},
		{"in tokens", pool.Subject("carol"), payloadOf(t, pool.AccessToken(cognitotest.WithUser("carol")))["sub"].(string), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Regexp(t, uuidPattern, tc.a)
			assert.Regexp(t, uuidPattern, tc.b)
			assert.Equal(t, tc.same, tc.a == tc.b)
		})
	}
}

// Sign and SignWith use header and payload byte for byte: what no JSON
// encoder would write (duplicates, whitespace, invalid JSON) included.
func TestSign(t *testing.T) {
	pool := newPool(t)
	_, accessKey := pool.SigningKey(cognito.AccessToken)
	_, idKey := pool.SigningKey(cognito.IDToken)
	cases := []struct {
		name            string
		header, payload string
	}{
		{"plain", `{"alg":"RS256","kid":"k"}`, `{"sub":"s"}`},
		{"duplicates and whitespace", ` {"alg":"none", "alg":"RS256"}` + "\n", `{"a":1,"a":2}`},
		{"not JSON", `header`, "\xff\x00payload"},
		{"empty", ``, ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, signed := range []struct {
				token string
				key   *rsa.PrivateKey
			}{
				{pool.Sign([]byte(tc.header), []byte(tc.payload)), accessKey},
				{cognitotest.SignWith(idKey, []byte(tc.header), []byte(tc.payload)), idKey},
			} {
				assert.Equal(t, tc.header, string(segment(t, signed.token, 0)))
				assert.Equal(t, tc.payload, string(segment(t, signed.token, 1)))
				requireSignedBy(t, signed.key, signed.token)
			}
		})
	}

	// Sign follows rotation: it signs with the current access key.
	pool.RotateKeys()
	_, rotated := pool.SigningKey(cognito.AccessToken)
	require.False(t, rotated.Equal(accessKey))
	requireSignedBy(t, rotated, pool.Sign([]byte(`{}`), []byte(`{}`)))
}
