package cognito_test

import (
	"strings"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMethodARN(t *testing.T) {
	cases := []struct {
		in   string
		want cognito.MethodARN
	}{
		{"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes",
			cognito.MethodARN{"aws", "us-east-1", "123456789012", "abcdef1234", "prod", "POST", "/notes"}},
		{"arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/GET/notes/42",
			cognito.MethodARN{"aws-cn", "cn-north-1", "123456789012", "abcdef1234", "prod", "GET", "/notes/42"}},
		{"arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/v1/DELETE/notes/42",
			cognito.MethodARN{"aws-us-gov", "us-gov-west-1", "123456789012", "abcdef1234", "v1", "DELETE", "/notes/42"}},
		{"arn:aws-iso-b:execute-api:us-isob-east-1:123456789012:abcdef1234/v1/GET/x",
			cognito.MethodARN{"aws-iso-b", "us-isob-east-1", "123456789012", "abcdef1234", "v1", "GET", "/x"}},
		{"arn:aws:execute-api:eu-west-2:123456789012:abcdef1234/prod/GET/",
			cognito.MethodARN{"aws", "eu-west-2", "123456789012", "abcdef1234", "prod", "GET", "/"}},
		{"arn:aws:execute-api:eu-west-2:123456789012:abcdef1234/prod/GET/users/7/notes/",
			cognito.MethodARN{"aws", "eu-west-2", "123456789012", "abcdef1234", "prod", "GET", "/users/7/notes/"}},
		{"arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/request",
			cognito.MethodARN{"aws", "us-east-1", "123456789012", "abcdef123", "$default", "GET", "/request"}},
		{"arn:aws:execute-api:us-east-1:123456789012:abcdef123/test-stage_2/OPTIONS/a-b_c.d~e%20f",
			cognito.MethodARN{"aws", "us-east-1", "123456789012", "abcdef123", "test-stage_2", "OPTIONS", "/a-b_c.d~e%20f"}},
		{"arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/PATCH/files/a:b@c",
			cognito.MethodARN{"aws", "us-east-1", "123456789012", "abcdef123", "prod", "PATCH", "/files/a:b@c"}},
		{"arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/HEAD/" + strings.Repeat("seg/", 50),
			cognito.MethodARN{"aws", "us-east-1", "123456789012", "abcdef123", "prod", "HEAD", "/" + strings.Repeat("seg/", 50)}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := cognito.ParseMethodARN(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.in, got.String(), "round trip")
		})
	}
}

func TestParseMethodARNRejects(t *testing.T) {
	const ok = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes"
	_, err := cognito.ParseMethodARN(ok)
	require.NoError(t, err)
	long := "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/" + strings.Repeat("a", cognito.MaxMethodARNBytes)
	cases := []struct {
		name, in, says string
	}{
		{"empty", "", "is not arn:"},
		{"not an ARN", "hello", "is not arn:"},
		{"missing fields", "arn:aws:execute-api:us-east-1:123456789012", "is not arn:"},
		{"wrong prefix", "urn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes", "is not arn:"},
		{"wrong service", "arn:aws:lambda:us-east-1:123456789012:abcdef1234/prod/GET/notes", "service"},
		{"empty partition", "arn::execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes", "partition"},
		{"odd partition", "arn:azure:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes", "partition"},
		{"empty region", "arn:aws:execute-api::123456789012:abcdef1234/prod/GET/notes", "region"},
		{"bad region", "arn:aws:execute-api:US-EAST-1:123456789012:abcdef1234/prod/GET/notes", "region"},
		{"empty account", "arn:aws:execute-api:us-east-1::abcdef1234/prod/GET/notes", "account ID is empty"},
		{"short account", "arn:aws:execute-api:us-east-1:12345:abcdef1234/prod/GET/notes", "12 digits"},
		{"letters in account", "arn:aws:execute-api:us-east-1:12345678901a:abcdef1234/prod/GET/notes", "12 digits"},
		{"no stage", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234", "no stage"},
		{"empty API ID", "arn:aws:execute-api:us-east-1:123456789012:/prod/GET/notes", "API ID"},
		{"API ID with dash", "arn:aws:execute-api:us-east-1:123456789012:abc-def/prod/GET/notes", "API ID"},
		{"no method", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod", "no method"},
		{"empty stage", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234//GET/notes", "stage"},
		{"stage with dot", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/pr.od/GET/notes", "stage"},
		{"no resource", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET", "no resource path"},
		{"bad verb", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/FETCH/notes", "method"},
		{"lower-case verb", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/get/notes", "method"},
		{"ANY is a route key, not a verb", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/ANY/notes", "method"},
		{"empty verb", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod//notes", "method"},
		{"space in path", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/no tes", "control or space"},
		{"newline in path", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes\n", "control or space"},
		{"over 1600 bytes", long, "1600"},
		// C-07: wildcards from an event never reach a policy.
		{"stage wildcard", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/notes", "IAM wildcard \"*\""},
		{"method wildcard", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/notes", "IAM wildcard \"*\""},
		{"resource wildcard", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes/*", "IAM wildcard \"*\""},
		{"everything", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*", "IAM wildcard \"*\""},
		{"star inside a segment", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/no*tes", "IAM wildcard \"*\""},
		{"question mark", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes/?", "IAM wildcard \"?\""},
		{"question mark in stage", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/pro?/GET/notes", "IAM wildcard \"?\""},
		{"wildcard in account", "arn:aws:execute-api:us-east-1:*:abcdef1234/prod/GET/notes", "IAM wildcard"},
		{"wildcard API", "arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/notes", "IAM wildcard"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cognito.ParseMethodARN(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, cognito.ErrMethodARN)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

func TestMethodARNForAndWildcard(t *testing.T) {
	a, err := cognito.ParseMethodARN("arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/GET/notes/1")
	require.NoError(t, err)

	b, err := a.For("DELETE", "notes/2")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/DELETE/notes/2", b.String())
	b, err = a.For("GET", "/")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/GET/", b.String())
	b, err = a.For("GET", "")
	require.NoError(t, err)
	assert.Equal(t, "/", b.Resource)
	assert.Equal(t, "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/*/*", a.Wildcard().String())
	assert.Equal(t, "/notes/1", a.Resource, "helpers do not change the receiver")

	for _, bad := range []struct{ verb, resource string }{
		{"FETCH", "notes"}, {"get", "notes"}, {"GET", "notes/{id}"}, {"GET", "notes//x"},
		{"GET", "notes/../admin"}, {"GET", "notes/./x"}, {"GET", "no tes"}, {"GET", "notes?x=1"},
		{"GET", "notes#x"}, {"GET", "%zz"}, {"GET", "%4"}, {"GET", "{proxy+}"}, {"GET", "//"},
		{"GET", strings.Repeat("a", cognito.MaxMethodARNBytes)},
	} {
		_, err := a.For(bad.verb, bad.resource)
		assert.ErrorIs(t, err, cognito.ErrMethodARN, "%s %s", bad.verb, bad.resource)
	}
}

func FuzzParseMethodARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes",
		"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/",
		"arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/*/*",
		"arn:aws:execute-api:us-east-1::a/b/c/d", "arn:::::", "arn:aws:execute-api:us-east-1:123456789012:a/b/GET",
		"", ":", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/a:b:c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := cognito.ParseMethodARN(s)
		if err != nil {
			if a != (cognito.MethodARN{}) {
				t.Fatalf("error with a complete value: %v", err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("round trip: %q became %q", s, a.String())
		}
		again, err := cognito.ParseMethodARN(a.String())
		if err != nil || again != a {
			t.Fatalf("reparse: %v %+v", err, again)
		}
		if strings.ContainsAny(s, "*?") {
			t.Fatalf("an ARN with a wildcard parsed: %q", s)
		}
		if _, err := a.For(cognito.AllMethods, "*"); err != nil {
			t.Fatalf("a parsed ARN is no base for a policy: %v", err)
		}
	})
}

// C-08: a MethodARN that ParseMethodARN would not return is no base for a
// policy: the zero value (an ignored parse error) and hand-made values with
// wildcards or empty fields all make For and Build fail.
func TestMethodARNNeverParsed(t *testing.T) {
	good := cognito.MethodARN{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "abcdef1234", Stage: "prod"}
	_, err := cognito.NewAuthPolicy("sub", good).AllowAllMethods().Build()
	require.NoError(t, err, "a complete hand-made value is a real ARN")

	_, parseErr := cognito.ParseMethodARN("not an ARN")
	require.Error(t, parseErr)
	bad := map[string]cognito.MethodARN{"zero value": {}}
	for name, change := range map[string]func(*cognito.MethodARN){
		"stage *":           func(a *cognito.MethodARN) { a.Stage = "*" },
		"stage ?":           func(a *cognito.MethodARN) { a.Stage = "pro?" },
		"empty stage":       func(a *cognito.MethodARN) { a.Stage = "" },
		"API *":             func(a *cognito.MethodARN) { a.APIID = "*" },
		"account *":         func(a *cognito.MethodARN) { a.AccountID = "*" },
		"region *":          func(a *cognito.MethodARN) { a.Region = "*" },
		"empty partition":   func(a *cognito.MethodARN) { a.Partition = "" },
		"stage with slash":  func(a *cognito.MethodARN) { a.Stage = "prod/GET" },
		"API with a colon":  func(a *cognito.MethodARN) { a.APIID = "a:b" },
		"empty account":     func(a *cognito.MethodARN) { a.AccountID = "" },
		"region with colon": func(a *cognito.MethodARN) { a.Region = "us-east-1:x" },
	} {
		a := good
		change(&a)
		bad[name] = a
	}
	for name, a := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := a.For("GET", "/notes")
			assert.ErrorIs(t, err, cognito.ErrMethodARN)
			for _, p := range []*cognito.AuthPolicy{
				cognito.NewAuthPolicy("sub", a).AllowAllMethods(),
				cognito.NewAuthPolicy("sub", a).AllowMethod("GET", "/notes"),
				cognito.NewAuthPolicy("sub", a).DenyAllMethods(),
				cognito.NewAuthPolicyFromClaims(&cognito.Claims{Subject: "sub"}, a).AllowAllMethods(),
			} {
				resp, err := p.Build()
				require.Error(t, err)
				assert.ErrorIs(t, err, cognito.ErrPolicy)
				assert.ErrorIs(t, err, cognito.ErrMethodARN)
				assert.Empty(t, resp.PolicyDocument.Statement)
			}
		})
	}
}
