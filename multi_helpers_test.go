package cognito_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// fakeCognito answers key-set requests for any user pool on Cognito's
// hosts (https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json)
// without a network, so that tests can run thousands of pools. Every pool
// publishes the same key under kids of its own ("kid-" + pool ID), so a
// token of one pool never finds its kid in another's set. Requests can be
// counted, held and failed per pool. It is safe for concurrent use.
type fakeCognito struct {
	key *rsa.PrivateKey

	mu       sync.Mutex
	requests map[string]int           // by pool ID
	holds    map[string]chan struct{} // pool ID → requests wait until closed
	arrived  chan string              // pool IDs of held requests, as they arrive
	failing  map[string]bool
}

func newFakeCognito(t testing.TB) *fakeCognito {
	_, key := newPool(t).SigningKey(cognito.AccessToken) // cognitotest's process-wide test key
	return &fakeCognito{
		key:      key,
		requests: map[string]int{},
		holds:    map[string]chan struct{}{},
		arrived:  make(chan string, 100),
		failing:  map[string]bool{},
	}
}

func (f *fakeCognito) client() *http.Client { return &http.Client{Transport: f} }

// issuer and config are those of a Cognito pool in us-east-1.
func issuerOf(poolID string) string { return "https://cognito-idp.us-east-1.amazonaws.com/" + poolID }

func (f *fakeCognito) config(poolID string) cognito.Config {
	return cognito.Config{
		UserPoolID: poolID,
		ClientIDs:  []string{"client-" + poolID},
		TokenUse:   cognito.AccessToken,
		Now:        clock,
	}
}

// token returns an access token of poolID for user, signed with the key
// the pool publishes; claims override or add claims.
func (f *fakeCognito) token(poolID, user string, claims ...any) string {
	payload := map[string]any{
		"sub":       "sub-" + poolID + "-" + user,
		"iss":       issuerOf(poolID),
		"client_id": "client-" + poolID,
		"token_use": "access",
		"scope":     "aws.cognito.signin.user.admin",
		"auth_time": fixedNow.Unix(),
		"iat":       fixedNow.Unix(),
		"exp":       fixedNow.Add(time.Hour).Unix(),
		"jti":       "jti-" + user,
		"username":  user,
	}
	for i := 0; i+1 < len(claims); i += 2 {
		payload[claims[i].(string)] = claims[i+1]
	}
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err) // cannot happen: plain values
	}
	return cognitotest.SignWith(f.key, f.header(poolID), body)
}

// badSignatureToken is a well-formed token of poolID with a signature of
// the wrong length: verifying it fetches the pool's keys (the kid is looked
// up before the signature is checked) and fails without the cost of an RSA
// operation, to sign or to verify.
func (f *fakeCognito) badSignatureToken(poolID string) string {
	payload := fmt.Sprintf(`{"iss":%q,"sub":"s","client_id":"client-%s","token_use":"access","exp":%d}`,
		issuerOf(poolID), poolID, fixedNow.Add(time.Hour).Unix())
	return enc(string(f.header(poolID))) + "." + enc(payload) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 255))
}

func (f *fakeCognito) header(poolID string) []byte {
	return []byte(`{"kid":"kid-` + poolID + `","alg":"RS256"}`)
}

// jwks is poolID's key set: like Cognito's, two RSA-2048 keys (the one
// that signs the tests' tokens, and one standing in for the ID token key).
func (f *fakeCognito) jwks(poolID string) []byte {
	n := base64.RawURLEncoding.EncodeToString(f.key.N.Bytes())
	key := func(kid string) string {
		return `{"kty":"RSA","alg":"RS256","use":"sig","kid":"` + kid + `","e":"AQAB","n":"` + n + `"}`
	}
	return []byte(`{"keys":[` + key("kid-"+poolID) + `,` + key("kid-"+poolID+"-id") + `]}`)
}

// count returns the key-set requests for poolID.
func (f *fakeCognito) count(poolID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[poolID]
}

// total returns all key-set requests.
func (f *fakeCognito) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.requests {
		n += c
	}
	return n
}

// hold makes poolID's key-set requests wait (announcing each on arrived)
// until the returned function is called.
func (f *fakeCognito) hold(poolID string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.holds[poolID] = ch
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.holds, poolID)
		f.mu.Unlock()
		close(ch)
	}
}

func (f *fakeCognito) fail(poolID string, failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[poolID] = failing
}

func (f *fakeCognito) RoundTrip(req *http.Request) (*http.Response, error) {
	host, path := req.URL.Host, req.URL.Path
	poolID := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/.well-known/jwks.json")
	if !strings.HasPrefix(host, "cognito-idp.") || !strings.HasSuffix(host, ".amazonaws.com") || strings.Contains(poolID, "/") {
		return nil, fmt.Errorf("fakeCognito: no route to %s%s", host, path)
	}
	f.mu.Lock()
	f.requests[poolID]++
	hold, failing := f.holds[poolID], f.failing[poolID]
	f.mu.Unlock()
	if hold != nil {
		f.arrived <- poolID
		select {
		case <-hold:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	status, body := http.StatusOK, f.jwks(poolID)
	if failing {
		status, body = http.StatusServiceUnavailable, []byte("unavailable")
	}
	return &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    req,
	}, nil
}
