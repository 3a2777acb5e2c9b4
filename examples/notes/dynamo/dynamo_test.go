package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/cognito-verify/cognito/examples/internal/storetest"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/stretchr/testify/require"
)

// newTestStore returns a store on a new table of the server at
// DYNAMODB_ENDPOINT, or skips the test.
func newTestStore(t *testing.T) *dynamo.Store {
	t.Helper()
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT is not set: start a DynamoDB-compatible server (npm install dynalite@4.0.0; " +
			"npx dynalite --port 4567) and set DYNAMODB_ENDPOINT=http://127.0.0.1:4567; .ci/run does this")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := dynamo.NewLocal(endpoint, "Notes-"+hex.EncodeToString(b))
	s.PageSize = 3 // List must follow several pages
	require.NoError(t, s.CreateTable(context.Background()))
	return s
}

func TestStoreContract(t *testing.T) { storetest.Contract(t, newTestStore(t)) }
