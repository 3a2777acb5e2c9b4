// Package examples holds the test of the deployable SAM template; the
// programs are in its subdirectories.
package examples

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/cognito-verify/cognito/examples/internal/envconfig"
	"github.com/cognito-verify/cognito/examples/notes"
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
	assert.Equal(t, notes.KeyUser, table.KeySchema[0].AttributeName)
	assert.Equal(t, "HASH", table.KeySchema[0].KeyType)
	assert.Equal(t, notes.KeyNote, table.KeySchema[1].AttributeName)
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
}
