package notes_test

import (
	"testing"

	"github.com/cognito-verify/cognito/examples/internal/storetest"
	"github.com/cognito-verify/cognito/examples/notes"
)

func TestMemoryStoreContract(t *testing.T) { storetest.Contract(t, &notes.MemoryStore{}) }
