// Package examples holds the test of the deployable SAM template; the
// programs are in its subdirectories.
package examples

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/cognito-verify/cognito/envconfig"
	"github.com/cognito-verify/cognito/examples/internal/storetest"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The template deploys what this module builds: every function's code is
// a main package here, the table has the store's keys, and the API is
// guarded by the authorizer on the Authorization header.
func TestTemplate(t *testing.T) {
	tmpl, err := goformation.Open("template.yaml")
	require.NoError(t, err)

	functions := tmpl.GetAllServerlessFunctionResources()
	require.Len(t, functions, 2)
	for name, fn := range functions {
		require.NotNil(t, fn.CodeUri, name)
		require.NotNil(t, fn.CodeUri.String, name)
		dir := strings.TrimSuffix(*fn.CodeUri.String, "/")
		src, err := os.ReadFile(filepath.Join(dir, "main.go"))
		require.NoError(t, err, "%s: CodeUri %s has no main.go", name, dir)
		assert.Contains(t, string(src), "\npackage main\n", name)
		assert.Contains(t, string(src), "lambda.Start(", name)
		assert.Equal(t, "go1.x", fn.AWSCloudFormationMetadata["BuildMethod"], name)
	}
	globals, ok := tmpl.Globals["Function"].(*global.Function)
	require.True(t, ok)
	assert.Equal(t, "bootstrap", *globals.Handler)
	assert.Equal(t, "provided.al2023", *globals.Runtime)

	// The table's keys are the store's.
	table, err := tmpl.GetDynamoDBTableWithName("NotesTable")
	require.NoError(t, err)
	require.Len(t, table.KeySchema, 2)
	assert.Equal(t, dynamo.KeyUser, table.KeySchema[0].AttributeName)
	assert.Equal(t, "HASH", table.KeySchema[0].KeyType)
	assert.Equal(t, dynamo.KeyNote, table.KeySchema[1].AttributeName)
	assert.Equal(t, "RANGE", table.KeySchema[1].KeyType)
	for _, a := range table.AttributeDefinitions {
		assert.Equal(t, "S", a.AttributeType, a.AttributeName)
	}

	// The functions read the variables their code reads.
	authz := functions["AuthorizerFunction"]
	for _, name := range []string{envconfig.PoolID, envconfig.ClientIDs, envconfig.TokenUse} {
		assert.Contains(t, authz.Environment.Variables, name)
	}
	assert.Contains(t, functions["NotesFunction"].Environment.Variables, "NOTES_TABLE")

	// Every route of the Notes API, and only those, on the guarded API.
	var routes []string
	for _, ev := range functions["NotesFunction"].Events {
		require.Equal(t, "Api", ev.Type)
		p := ev.Properties.ApiEvent
		require.NotNil(t, p)
		routes = append(routes, strings.ToUpper(p.Method)+" "+p.Path)
	}
	sort.Strings(routes)
	assert.Equal(t, []string{"DELETE /notes/{noteid}", "GET /notes", "GET /notes/{noteid}", "POST /notes"}, routes)

	api, err := tmpl.GetServerlessApiWithName("NotesApi")
	require.NoError(t, err)
	require.NotNil(t, api.Auth)
	require.NotNil(t, api.Auth.DefaultAuthorizer)
	authorizers := api.Auth.Authorizers.(map[string]any)
	def := authorizers[*api.Auth.DefaultAuthorizer].(map[string]any)
	assert.Equal(t, "TOKEN", def["FunctionPayloadType"])
	identity := def["Identity"].(map[string]any)
	assert.Equal(t, "Authorization", identity["Header"])
	assert.Greater(t, identity["ReauthorizeEvery"], float64(0), "authorizer result TTL set")
	assert.Contains(t, def, "FunctionArn")
	raw, err := os.ReadFile("template.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(raw), "FunctionArn: !GetAtt AuthorizerFunction.Arn", "the authorizer is this stack's function")

	require.Contains(t, tmpl.Outputs, "NotesApiUrl")
	for _, out := range []string{"NotesApiUrl", "UserPoolId", "UserPoolClientId"} {
		assert.Contains(t, tmpl.Outputs, out, "the README reads it")
	}

	// One stage, the one the URL names: without OpenApiVersion SAM adds a
	// stage called Stage.
	require.NotNil(t, api.OpenApiVersion)
	assert.Equal(t, "3.0.1", *api.OpenApiVersion)
	assert.Equal(t, "prod", api.StageName)

	// Sign-up and sign-in never say whether a user exists.
	client, err := tmpl.GetCognitoUserPoolClientWithName("UserPoolClient")
	require.NoError(t, err)
	require.NotNil(t, client.PreventUserExistenceErrors)
	assert.Equal(t, "ENABLED", *client.PreventUserExistenceErrors)

	// Least privilege: the notes function may make exactly the calls the
	// store makes, on the table only; the authorizer gets no policy at all.
	assert.Nil(t, authz.Policies)
	policies, err := json.Marshal(functions["NotesFunction"].Policies)
	require.NoError(t, err)
	var docs []struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource any
		}
	}
	require.NoError(t, json.Unmarshal(policies, &docs), string(policies))
	require.Len(t, docs, 1, string(policies))
	require.Len(t, docs[0].Statement, 1)
	st := docs[0].Statement[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.ElementsMatch(t, []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}, st.Action)
	// goformation resolves !GetAtt to nothing; the text says which resource.
	assert.Contains(t, string(raw), "              Resource: !GetAtt NotesTable.Arn\n", "the Notes table, not *")
	assert.Equal(t, 1, strings.Count(string(raw), "Resource:"))
	assert.ElementsMatch(t, st.Action, storeCalls(t), "the calls the store makes")
}

// storeCalls returns the DynamoDB actions the store makes through the
// whole store contract, recorded by a proxy in front of the local server
// at DYNAMODB_ENDPOINT; without one it returns the actions the template
// grants, after logging that they were not checked.
func storeCalls(t *testing.T) []string {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Log("DYNAMODB_ENDPOINT is not set: the store's calls are not checked against the policy (.ci/run starts dynalite)")
		return []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}
	}
	target, err := url.Parse(endpoint)
	require.NoError(t, err)
	var mu sync.Mutex
	calls := map[string]bool{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, action, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		mu.Lock()
		calls["dynamodb:"+action] = true
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	store := dynamo.NewLocal(srv.URL, "Notes-template-"+hex.EncodeToString(b))
	require.NoError(t, store.CreateTable(context.Background()))
	mu.Lock()
	clear(calls) // the table is the template's business, not the function's
	mu.Unlock()
	store.PageSize = 2
	storetest.Contract(t, store)
	mu.Lock()
	defer mu.Unlock()
	var list []string
	for c := range calls {
		list = append(list, c)
	}
	return list
}
