package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Never a fake pool: without the COGNITO_ variables the command refuses.
func TestRunNeedsAPool(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, []string{"NOTES_TABLE=Notes"}, io.Discard, io.Discard, nil)
	assert.ErrorContains(t, err, "COGNITO_USER_POOL_ID is not set")
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0"}, nil, io.Discard, io.Discard, nil)
	assert.ErrorContains(t, err, "COGNITO_USER_POOL_ID is not set")
}

// The notes of a verified user land in the table under the token's sub.
func TestNotesInDynamoDB(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT is not set: start dynalite (npm install dynalite@4.0.0; npx dynalite --port 4567) " +
			"and set DYNAMODB_ENDPOINT=http://127.0.0.1:4567; .ci/run does this")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	table := "Notes-" + hex.EncodeToString(b)
	store := dynamo.NewLocal(endpoint, table)
	require.NoError(t, store.CreateTable(context.Background()))
	// The standard AWS chain, from the environment only.
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	pool := cognitotest.NewTestPool(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, pool.JWKS(), 0o600))
	environ := []string{"NOTES_TABLE=" + table, "DYNAMODB_ENDPOINT=" + endpoint,
		"COGNITO_USER_POOL_ID=" + pool.PoolID, "COGNITO_CLIENT_IDS=" + pool.ClientID, "COGNITO_JWKS_FILE=" + jwks}

	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, environ, io.Discard, io.Discard, func(base string) { ready <- base })
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	token := pool.AccessToken(cognitotest.WithUser("alice"))
	req, err := http.NewRequest("POST", base+"/notes", strings.NewReader(`{"noteid":"1","note":"hello"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 201, resp.StatusCode)
	cancel()
	require.NoError(t, <-done)

	stored, err := store.List(context.Background(), pool.Subject("alice"))
	require.NoError(t, err)
	assert.Equal(t, []notes.Note{{NoteID: "1", Note: "hello"}}, stored)
}
