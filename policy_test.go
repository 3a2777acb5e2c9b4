package cognito_test

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

const testARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes"

func mustARN(t testing.TB, s string) cognito.MethodARN {
	t.Helper()
	a, err := cognito.ParseMethodARN(s)
	require.NoError(t, err)
	return a
}

// golden compares v's indented JSON with testdata/name.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), string(got))
}

func TestAuthPolicyGolden(t *testing.T) {
	arn := mustARN(t, testARN)
	cases := map[string]*cognito.AuthPolicy{
		"policy_allow_all": cognito.NewAuthPolicy("user-sub", arn).AllowAllMethods(),
		"policy_deny_all":  cognito.NewAuthPolicy("user-sub", arn).DenyAllMethods(),
		// Allow before Deny whatever the call order; unconditioned resources
		// grouped per effect (duplicates once); conditioned ones alone.
		"policy_mixed": cognito.NewAuthPolicy("user-sub", arn).
			DenyMethod("DELETE", "/notes/*").
			AllowMethod("GET", "notes").
			AllowMethodWithConditions("POST", "/notes", cognito.Conditions{"IpAddress": {"aws:SourceIp": []string{"203.0.113.0/24"}}}).
			AllowMethod("GET", "/notes/*").
			AllowMethod("GET", "notes").
			DenyMethodWithConditions(cognito.AllMethods, "/admin/*", cognito.Conditions{"DateGreaterThan": {"aws:CurrentTime": "2026-12-31T00:00:00Z"}}).
			AllowMethod("HEAD", "/").
			WithContext("tier", "gold").
			WithContext("quota", 100).
			WithContext("beta", true).
			WithUsageIdentifierKey("api-key-123"),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := p.Build()
			require.NoError(t, err)
			golden(t, name, resp)
		})
	}
}

// Every verb, with and without the leading slash, in each partition.
func TestAuthPolicyVerbsAndPartitions(t *testing.T) {
	for _, base := range []string{
		"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/",
		"arn:aws-cn:execute-api:cn-northwest-1:123456789012:abcdef1234/prod/GET/",
		"arn:aws-us-gov:execute-api:us-gov-east-1:123456789012:abcdef1234/prod/GET/",
	} {
		arn := mustARN(t, base)
		prefix := base[:len(base)-len("GET/")]
		for _, verb := range []string{"GET", "POST", "PUT", "PATCH", "HEAD", "DELETE", "OPTIONS", "*"} {
			for _, res := range []string{"notes/x-y_z.1~2%41", "/notes/x-y_z.1~2%41"} {
				resp, err := cognito.NewAuthPolicy("p", arn).AllowMethod(verb, res).DenyMethod(verb, res).Build()
				require.NoError(t, err)
				require.Len(t, resp.PolicyDocument.Statement, 2)
				assert.Equal(t, []string{prefix + verb + "/notes/x-y_z.1~2%41"}, resp.PolicyDocument.Statement[0].Resource)
				assert.Equal(t, "Allow", resp.PolicyDocument.Statement[0].Effect)
				assert.Equal(t, "Deny", resp.PolicyDocument.Statement[1].Effect)
				assert.Equal(t, []string{"execute-api:Invoke"}, resp.PolicyDocument.Statement[1].Action)
			}
		}
	}
}

func TestAuthPolicyErrors(t *testing.T) {
	arn := mustARN(t, testARN)
	cases := map[string]*cognito.AuthPolicy{
		"empty policy":          cognito.NewAuthPolicy("p", arn),
		"empty principal":       cognito.NewAuthPolicy("", arn).AllowAllMethods(),
		"bad verb":              cognito.NewAuthPolicy("p", arn).AllowMethod("FETCH", "/notes"),
		"ALL is not a verb":     cognito.NewAuthPolicy("p", arn).AllowMethod("ALL", "/notes"),
		"template path":         cognito.NewAuthPolicy("p", arn).AllowMethod("GET", "/notes/{id}"),
		"space in path":         cognito.NewAuthPolicy("p", arn).DenyMethod("GET", "/a b"),
		"bad escape":            cognito.NewAuthPolicy("p", arn).AllowMethod("GET", "/a%2"),
		"dot-dot":               cognito.NewAuthPolicy("p", arn).AllowMethod("GET", "/a/../b"),
		"empty conditions":      cognito.NewAuthPolicy("p", arn).AllowMethodWithConditions("GET", "/a", cognito.Conditions{}),
		"condition without key": cognito.NewAuthPolicy("p", arn).DenyMethodWithConditions("GET", "/a", cognito.Conditions{"IpAddress": {}}),
		"condition empty key":   cognito.NewAuthPolicy("p", arn).DenyMethodWithConditions("GET", "/a", cognito.Conditions{"IpAddress": {"": "x"}}),
		"context array":         cognito.NewAuthPolicy("p", arn).AllowAllMethods().WithContext("groups", []string{"a"}),
		"context object":        cognito.NewAuthPolicy("p", arn).AllowAllMethods().WithContext("o", map[string]any{}),
		"context nil":           cognito.NewAuthPolicy("p", arn).AllowAllMethods().WithContext("n", nil),
		"context NaN":           cognito.NewAuthPolicy("p", arn).AllowAllMethods().WithContext("n", math.NaN()),
		"context empty key":     cognito.NewAuthPolicy("p", arn).AllowAllMethods().WithContext("", "x"),
		"nil claims":            cognito.NewAuthPolicyFromClaims(nil, arn).AllowAllMethods(),
		"first error kept":      cognito.NewAuthPolicy("p", arn).AllowMethod("BAD", "/").AllowAllMethods(),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := p.Build()
			require.Error(t, err)
			assert.ErrorIs(t, err, cognito.ErrPolicy)
			assert.Empty(t, resp.PrincipalID)
		})
	}
}

// The seed's flow: verify the token, parse methodArn, allow the API stage
// for sub with the claims in the context.
func TestAuthPolicyFromClaims(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	claims, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.WithGroups("admin", "users"),
		cognitotest.WithScopes("openid", "notes/write")))
	require.NoError(t, err)

	resp, err := cognito.NewAuthPolicyFromClaims(claims, mustARN(t, testARN)).AllowAllMethods().Build()
	require.NoError(t, err)
	assert.Equal(t, pool.Subject("bob"), resp.PrincipalID)
	assert.Equal(t, map[string]any{
		"sub":       pool.Subject("bob"),
		"username":  "bob",
		"token_use": "access",
		"client_id": pool.ClientID,
		"iss":       pool.Issuer(),
		"groups":    `["admin","users"]`,
		"scopes":    `["openid","notes/write"]`,
		"aud":       `[]`,
		"acr":       "",
		"amr":       `[]`,
	}, resp.Context)
	assert.Equal(t, []string{"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*"}, resp.PolicyDocument.Statement[0].Resource)

	simple := cognito.NewSimpleResponse(claims)
	assert.True(t, simple.IsAuthorized)
	assert.Equal(t, resp.Context, simple.Context)
	golden(t, "simple_response_denied", cognito.NewSimpleResponse(nil))
}

// Issue 11 §8: the context is unambiguous. A group named "readers,admin" is
// one group, never the two groups "readers" and "admin"; absent lists are
// "[]", an empty name is [""]; every list decodes back to the claim.
func TestClaimsContextUnambiguous(t *testing.T) {
	pool := newPool(t)
	cfg := pool.Config()
	cfg.TokenUse = cognito.IDToken
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	tricky := []string{"readers,admin", "x", `quote"back\slash`, "<html>&", "é 漢字", ""}
	claims, err := v.Verify(ctx, pool.IDToken(cognitotest.WithUser("carol"), cognitotest.WithGroups(tricky...)))
	require.NoError(t, err)
	resp, err := cognito.NewAuthPolicyFromClaims(claims, mustARN(t, testARN)).AllowAllMethods().Build()
	require.NoError(t, err)
	golden(t, "claims_context_id_token", resp.Context)

	for key, want := range map[string][]string{"groups": tricky, "aud": {pool.ClientID}, "scopes": {}} {
		var got []string
		require.NoError(t, json.Unmarshal([]byte(resp.Context[key].(string)), &got), key)
		assert.Equal(t, want, got, key)
	}
	two, err := v.Verify(ctx, pool.IDToken(cognitotest.WithUser("dave"), cognitotest.WithGroups("readers", "admin")))
	require.NoError(t, err)
	assert.NotEqual(t, resp.Context["groups"], cognito.NewSimpleResponse(two).Context["groups"])
	assert.Equal(t, `["readers","admin"]`, cognito.NewSimpleResponse(two).Context["groups"])
	assert.Equal(t, resp.Context, cognito.NewSimpleResponse(claims).Context)
}

// Build returns a response the policy builder no longer aliases.
func TestAuthPolicyBuildCopiesContext(t *testing.T) {
	p := cognito.NewAuthPolicy("p", mustARN(t, testARN)).AllowAllMethods().WithContext("a", "1")
	resp, err := p.Build()
	require.NoError(t, err)
	p.WithContext("b", "2")
	assert.Len(t, resp.Context, 1)
}
