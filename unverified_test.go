package cognito_test

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The peek reads exactly what Verify reads, as the token states it.
func TestParseUnverifiedReadsTheToken(t *testing.T) {
	pool := newPool(t)
	access := pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.WithGroups("admin", "users"),
		cognitotest.WithScopes("openid", "notes/write"), cognitotest.WithClaim("custom:tenant", "acme"))
	id := pool.IDToken(cognitotest.WithUser("carol"))

	for _, tc := range []struct {
		name  string
		token string
		use   cognito.TokenUse
	}{{"access", access, cognito.AccessToken}, {"id", id, cognito.IDToken}} {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = tc.use })
			tok, err := cognito.ParseUnverified(tc.token)
			require.NoError(t, err)
			before := pool.Requests()
			assert.Empty(t, v.CheckUnverified(tok))
			assert.Equal(t, before, pool.Requests(), "CheckUnverified fetches no keys")

			c, err := v.Verify(ctx, tc.token)
			require.NoError(t, err)
			u := tok.UnverifiedClaims()
			assert.Equal(t, c.Issuer, u.Issuer)
			assert.Equal(t, c.Subject, u.Subject)
			assert.Equal(t, c.TokenUse, u.TokenUse)
			assert.Equal(t, c.Username, u.Username)
			assert.Equal(t, c.Groups, u.Groups)
			assert.Equal(t, c.Audience, u.Audience)
			assert.Equal(t, strings.Join(c.Scopes, " "), u.Scope)
			assert.Equal(t, c.ExpiresAt, u.ExpiresAt)
			assert.Equal(t, c.IssuedAt, u.IssuedAt)
			assert.Equal(t, c.AuthTime, u.AuthTime)
			assert.Equal(t, c.NotBefore, u.NotBefore)
			if tc.use == cognito.AccessToken {
				assert.Equal(t, c.ClientID, u.ClientID)
			} else {
				assert.Empty(t, u.ClientID, "ID tokens carry aud, not client_id")
			}
			assert.Equal(t, c.Raw(), tok.UnverifiedPayload())
			h, _, _ := parts(tc.token)
			assert.Equal(t, enc(string(tok.UnverifiedHeader())), h)
		})
	}
}

// T-01…T-16 for the peek: a token it cannot read gets the error Verify
// gives for the same defect, word for word. Payload cases are signed with
// the pool's key, so that Verify reaches the payload.
func TestParseUnverifiedFraming(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	good := pool.AccessToken()
	h, p, s := parts(good)
	signed := func(payload string) string { return signClaims(t, pool, payload) }
	withHeader := func(header string) string { return enc(header) + "." + p + "." + s }

	cases := []struct {
		name   string
		token  string
		reason error
	}{
		{"T-01 empty", "", cognito.ErrMalformed},
		{"T-02 one segment", "abc", cognito.ErrMalformed},
		{"T-02 two segments", h + "." + p, cognito.ErrMalformed},
		{"T-03 extra empty segment", good + ".", cognito.ErrMalformed},
		{"T-04 extra segment", good + ".foo", cognito.ErrMalformed},
		{"T-05 JWE", enc(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", cognito.ErrMalformed},
		{"T-06 dot flood", strings.Repeat(".", 1<<20), cognito.ErrTooLarge},
		{"T-07 over the size limit", pool.AccessToken(cognitotest.WithClaim("custom:pad", strings.Repeat("x", 40<<10))), cognito.ErrTooLarge},
		{"T-08 JSON serialization", `{"payload":"` + p + `","signatures":[]}`, cognito.ErrMalformed},
		{"T-09 padded header", h + "==." + p + "." + s, cognito.ErrMalformed},
		{"T-10 standard alphabet in the payload", h + "." + p + "+." + s, cognito.ErrMalformed},
		{"T-10 standard alphabet in the signature", h + "." + p + "." + s[:10] + "/" + s[11:], cognito.ErrMalformed},
		{"T-11 non-canonical signature", h + "." + p + "." + s[:len(s)-1] + flipLowBits(s[len(s)-1]), cognito.ErrMalformed},
		{"T-12 CRLF inside", h + "." + p[:5] + "\r\n" + p[5:] + "." + s, cognito.ErrMalformed},
		{"T-12 LF at end", good + "\n", cognito.ErrMalformed},
		{"T-13 leading space", " " + good, cognito.ErrMalformed},
		{"T-13 NUL", h + "." + p + "\x00." + s, cognito.ErrMalformed},
		{"T-13 non-ASCII", good + "é", cognito.ErrMalformed},
		{"empty header", "." + p + "." + s, cognito.ErrMalformed},
		{"empty payload", h + ".." + s, cognito.ErrMalformed},
		{"T-14 header an array", withHeader(`[]`), cognito.ErrMalformed},
		{"T-14 header null", withHeader(`null`), cognito.ErrMalformed},
		{"T-14 header a string", withHeader(`"x"`), cognito.ErrMalformed},
		{"T-14 header invalid JSON", withHeader(`{"alg":"RS256",`), cognito.ErrMalformed},
		{"T-14 header not UTF-8", withHeader("{\"alg\":\"RS256\",\"kid\":\"\xff\"}"), cognito.ErrMalformed},
		{"T-48 header duplicate member", withHeader(`{"alg":"RS256","kid":"a","kid":"b"}`), cognito.ErrMalformed},
		{"T-15 payload an array", signed(`[]`), cognito.ErrMalformed},
		{"T-15 payload null", signed(`null`), cognito.ErrMalformed},
		{"T-15 payload not UTF-8", signed("{\"sub\":\"\xff\"}"), cognito.ErrMalformed},
		{"T-15 payload invalid JSON", signed(`{"sub":`), cognito.ErrMalformed},
		{"payload data after the object", signed(`{"sub":"a"} {}`), cognito.ErrMalformed},
		{"T-49 duplicate claim", signed(`{"sub":"a","sub":"b"}`), cognito.ErrMalformed},
		{"T-16 deep nesting", signed(`{"a":` + nest(10001) + `}`), cognito.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := cognito.ParseUnverified(tc.token)
			require.Nil(t, tok)
			requireRejected(t, tc.reason, nil, err)
			_, verr := v.Verify(ctx, tc.token)
			require.Error(t, verr)
			assert.Equal(t, verr.Error(), err.Error(), "the peek words a defect as Verify does")
		})
	}
}

// A readable token that breaks a rule parses; CheckUnverified gives, for
// each rule alone, exactly Verify's error, without fetching keys.
func TestCheckUnverifiedSpeaksAsVerify(t *testing.T) {
	pool := newPool(t)
	kid := pool.AccessKeyID()
	_, p, s := parts(pool.AccessToken())
	header := func(h string) string { return enc(h) + "." + p + "." + s }
	claims := func(changes map[string]any) string { return signClaims(t, pool, edit(pool, changes)) }
	hour := time.Hour.Seconds()
	now := float64(fixedNow.Unix())

	cases := []struct {
		name   string
		token  string
		reason error
		config func(*cognito.Config)
	}{
		{"T-20 alg none", header(`{"alg":"none","kid":"` + kid + `"}`), cognito.ErrAlgorithm, nil},
		{"T-23 alg HS256", header(`{"alg":"HS256","kid":"` + kid + `"}`), cognito.ErrAlgorithm, nil},
		{"T-26 alg not a string", header(`{"alg":256,"kid":"` + kid + `"}`), cognito.ErrMalformed, nil},
		{"T-27 kid missing", header(`{"alg":"RS256"}`), cognito.ErrKeyNotFound, nil},
		{"T-27 kid empty", header(`{"alg":"RS256","kid":""}`), cognito.ErrKeyNotFound, nil},
		{"T-31 kid huge", header(`{"alg":"RS256","kid":"` + strings.Repeat("k", 300) + `"}`), cognito.ErrMalformed, nil},
		{"T-32 typ", header(`{"alg":"RS256","kid":"` + kid + `","typ":"JOSE"}`), cognito.ErrHeader, nil},
		{"T-42 jku", header(`{"alg":"RS256","kid":"` + kid + `","jku":"` + pool.JWKSURL() + `"}`), cognito.ErrHeader, nil},
		{"T-45 crit", header(`{"alg":"RS256","kid":"` + kid + `","crit":["exp"]}`), cognito.ErrHeader, nil},
		{"T-62 expired", claims(map[string]any{"exp": now - hour}), cognito.ErrExpired, nil},
		{"T-63 exp missing", claims(map[string]any{"exp": nil}), cognito.ErrClaim, nil},
		{"T-66 exp a string", claims(map[string]any{"exp": "soon"}), cognito.ErrClaim, nil},
		{"T-64 nbf in the future", claims(map[string]any{"nbf": now + hour}), cognito.ErrNotYetValid, nil},
		{"T-65 iat in the future", claims(map[string]any{"iat": now + hour}), cognito.ErrIssuedInFuture, nil},
		{"T-80 another issuer", claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}), cognito.ErrIssuer, nil},
		{"T-80 iss missing", claims(map[string]any{"iss": nil}), cognito.ErrIssuer, nil},
		{"T-84 ID token to an access verifier", claims(map[string]any{"token_use": "id"}), cognito.ErrTokenUse, nil},
		{"T-84 token_use missing", claims(map[string]any{"token_use": nil}), cognito.ErrTokenUse, nil},
		{"T-88 another client", claims(map[string]any{"client_id": "someone-else"}), cognito.ErrClient, nil},
		{"T-88 client_id missing", claims(map[string]any{"client_id": nil}), cognito.ErrClient, nil},
		{"T-90 sub empty", claims(map[string]any{"sub": ""}), cognito.ErrSubject, nil},
		{"T-91 groups a string", claims(map[string]any{"cognito:groups": "admin,users"}), cognito.ErrClaim, nil},
		{"group missing", claims(map[string]any{"cognito:groups": []string{"users"}}), cognito.ErrGroup,
			func(c *cognito.Config) { c.Groups = []string{"admin"} }},
		{"scope missing", claims(map[string]any{}), cognito.ErrScope,
			func(c *cognito.Config) { c.Scopes = []string{"notes/write"} }},
		{"over the verifier's size limit", pool.AccessToken(), cognito.ErrTooLarge,
			func(c *cognito.Config) { c.MaxTokenBytes = 200 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edits := []func(*cognito.Config){}
			if tc.config != nil {
				edits = append(edits, tc.config)
			}
			tok, err := cognito.ParseUnverified(tc.token)
			require.NoError(t, err, "a broken rule is no reason to refuse to read")

			before := pool.Requests()
			errs := newVerifier(t, pool, edits...).CheckUnverified(tok)
			assert.Equal(t, before, pool.Requests(), "CheckUnverified fetches nothing")
			require.Len(t, errs, 1, "%v", errs)
			requireRejected(t, tc.reason, nil, errs[0])

			_, verr := newVerifier(t, pool, edits...).Verify(ctx, tc.token)
			require.Error(t, verr)
			assert.Equal(t, verr.Error(), errs[0].Error())
		})
	}
}

// Every failing check is reported, in Verify's order; Verify itself stops
// at the first.
func TestCheckUnverifiedReportsEveryFailure(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) {
		c.Groups = []string{"admin"}
		c.Scopes = []string{"notes/write"}
		c.MaxTokenBytes = 600
	})
	payload := mustJSON(t, edit(pool, map[string]any{
		"exp":            float64(fixedNow.Add(-time.Hour).Unix()),
		"iss":            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
		"token_use":      "id",
		"client_id":      "someone-else",
		"sub":            nil,
		"cognito:groups": []string{"users"},
	}))
	token := pool.Sign([]byte(`{"alg":"HS256","kid":"`+pool.AccessKeyID()+`"}`), payload)
	require.Greater(t, len(token), 600)

	tok, err := cognito.ParseUnverified(token)
	require.NoError(t, err)
	var got []error
	for _, err := range v.CheckUnverified(tok) {
		var te *cognito.TokenError
		require.ErrorAs(t, err, &te)
		require.ErrorIs(t, err, cognito.ErrInvalidToken)
		got = append(got, te.Reason)
	}
	assert.Equal(t, []error{
		cognito.ErrTooLarge, cognito.ErrAlgorithm, cognito.ErrExpired, cognito.ErrIssuer,
		cognito.ErrTokenUse, cognito.ErrClient, cognito.ErrSubject, cognito.ErrGroup, cognito.ErrScope,
	}, got)

	// A claim of the wrong type: Verify judges no rule on claims it cannot
	// read, so neither does the peek.
	token = signClaims(t, pool, edit(pool, map[string]any{"exp": "soon", "iss": "elsewhere"}))
	tok, err = cognito.ParseUnverified(token)
	require.NoError(t, err)
	errs := newVerifier(t, pool).CheckUnverified(tok)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], cognito.ErrClaim)
}

// With several issuers, the token's iss picks one, as in Verify.
func TestCheckUnverifiedSeveralIssuers(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) {
		c.JWKSURL, c.HTTPClient = "", nil
		c.UpdatedIssuer = true
	})
	updated := "https://issuer-cognito-idp.us-east-1.amazonaws.com/" + pool.PoolID
	tok, err := cognito.ParseUnverified(signClaims(t, pool, edit(pool, map[string]any{"iss": updated})))
	require.NoError(t, err)
	assert.Empty(t, v.CheckUnverified(tok))

	foreign := signClaims(t, pool, edit(pool, map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}))
	tok, err = cognito.ParseUnverified(foreign)
	require.NoError(t, err)
	errs := v.CheckUnverified(tok)
	require.Len(t, errs, 1)
	_, verr := v.Verify(ctx, foreign) // rejected before any key lookup
	require.Error(t, verr)
	assert.Equal(t, verr.Error(), errs[0].Error())
}

// Nothing the peek returns can pass for verified claims: another type,
// every accessor named Unverified, and copies a caller may change without
// changing a later answer.
func TestUnverifiedIsNotAuthorization(t *testing.T) {
	claims := reflect.TypeFor[cognito.Claims]()
	assert.False(t, reflect.TypeFor[cognito.UnverifiedClaims]().ConvertibleTo(claims))
	assert.False(t, reflect.TypeFor[cognito.UnverifiedToken]().ConvertibleTo(claims))
	tokenType := reflect.TypeFor[*cognito.UnverifiedToken]()
	for i := range tokenType.NumMethod() {
		assert.Contains(t, tokenType.Method(i).Name, "Unverified")
	}

	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.Groups = []string{"admin"} })
	tok, err := cognito.ParseUnverified(pool.AccessToken(cognitotest.WithGroups("users"),
		cognitotest.ExpiresIn(-time.Minute)))
	require.NoError(t, err)

	u := tok.UnverifiedClaims()
	u.Groups[0] = "admin"
	assert.Equal(t, []string{"users"}, tok.UnverifiedClaims().Groups)
	errs := v.CheckUnverified(tok)
	require.Len(t, errs, 2)
	assert.ErrorIs(t, errs[1], cognito.ErrGroup)

	// The header's and the claims' verdicts are kept in the token; callers
	// get copies.
	_, p, _ := parts(signClaims(t, pool, edit(pool, map[string]any{"exp": "soon"})))
	broken, err := cognito.ParseUnverified(enc(`{"alg":"none"}`) + "." + p + ".")
	require.NoError(t, err)
	errs = v.CheckUnverified(broken)
	require.Len(t, errs, 2)
	for _, err := range errs {
		var te *cognito.TokenError
		require.ErrorAs(t, err, &te)
		te.Reason, te.Detail = nil, "changed"
	}
	again := v.CheckUnverified(broken)
	assert.ErrorIs(t, again[0], cognito.ErrAlgorithm)
	assert.ErrorIs(t, again[1], cognito.ErrClaim)

	header := tok.UnverifiedHeader()
	header[0] = 'X'
	assert.Equal(t, byte('{'), tok.UnverifiedHeader()[0])

	assert.ErrorIs(t, v.CheckUnverified(nil)[0], cognito.ErrMalformed, "a failed parse never reads as no failure")
}

// An UnverifiedToken is safe for concurrent use (run with -race: the claim
// rules write scopes into a list of their own).
func TestUnverifiedConcurrentUse(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.Scopes = []string{"b"} })
	tok, err := cognito.ParseUnverified(pool.AccessToken(cognitotest.WithGroups("g"), cognitotest.WithScopes("a", "c")))
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([][]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i] = v.CheckUnverified(tok)
			_ = tok.UnverifiedClaims()
		})
	}
	wg.Wait()
	for _, errs := range results {
		require.Len(t, errs, 1)
		assert.True(t, errors.Is(errs[0], cognito.ErrScope))
	}
}

// FuzzParseUnverified: the peek never panics, returns a token exactly when
// it returns no error, refuses only what Verify refuses, and for a token
// Verify refuses on a rule that needs no key, reports that reason.
func FuzzParseUnverified(f *testing.F) {
	pool := cognitotest.NewPool(cognitotest.WithClock(clock))
	f.Cleanup(pool.Close)
	cfg := pool.Config()
	cfg.JWKSURL, cfg.JWKS, cfg.TokenCacheSize = "", pool.JWKS(), -1
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	h, p, s := parts(pool.AccessToken())
	for _, seed := range []string{
		pool.AccessToken(), pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)),
		pool.AccessToken(cognitotest.WithClaim("cognito:groups", "a,b"), cognitotest.WithScopes("x", "y")),
		"", "a.b.c", h + "." + p + ".", enc(`{"alg":"none"}`) + "." + p + ".", enc(`null`) + "." + p + "." + s,
		h + "." + enc(`{"exp":"x","iss":5}`) + "." + s, h + "." + enc(`{"sub":"a","sub":"a"}`) + "." + s,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := cognito.ParseUnverified(token)
		if (tok == nil) == (err == nil) {
			t.Fatalf("token %v with error %v", tok, err)
		}
		_, verr := v.Verify(ctx, token)
		if err != nil {
			if !errors.Is(err, cognito.ErrInvalidToken) || verr == nil {
				t.Fatalf("peek refused (%v) what Verify did not (%v)", err, verr)
			}
			return
		}
		errs := v.CheckUnverified(tok)
		if verr == nil {
			if len(errs) > 0 {
				t.Fatalf("a valid token fails %v", errs)
			}
			return
		}
		if errors.Is(verr, cognito.ErrKeyNotFound) && !strings.Contains(verr.Error(), "kid is") ||
			errors.Is(verr, cognito.ErrSignature) {
			return // checks that need the key
		}
		// By reason: a header with several unknown parameters is worded
		// after whichever one a map yields first.
		var want *cognito.TokenError
		if !errors.As(verr, &want) {
			t.Fatalf("Verify: %v", verr)
		}
		for _, e := range errs {
			if errors.Is(e, want.Reason) {
				return
			}
		}
		t.Fatalf("Verify says %v; CheckUnverified says %v", verr, errs)
	})
}
