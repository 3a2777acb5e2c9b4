package cognitotest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	now       = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	uuidForm  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	clockOpt  = cognitotest.WithALBClock(func() time.Time { return now })
	bgContext = context.Background()
)

// decodeALB checks that a token is what the load balancer sends: three
// segments of base64url with the padding a standard encoder writes, a
// 64-byte r||s signature that verifies over the padded segments, and
// returns the header and payload.
func decodeALB(t *testing.T, token string, pub *ecdsa.PublicKey) (header, payload map[string]any) {
	t.Helper()
	segs := strings.Split(token, ".")
	require.Len(t, segs, 3)
	var raw [3][]byte
	for i, seg := range segs {
		b, err := base64.URLEncoding.Strict().DecodeString(seg)
		require.NoError(t, err, "segment %d", i)
		require.Equal(t, base64.URLEncoding.EncodeToString(b), seg, "segment %d is the standard padded encoding", i)
		raw[i] = b
	}
	require.Len(t, raw[2], 64)
	digest := sha256.Sum256([]byte(segs[0] + "." + segs[1]))
	assert.True(t, ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(raw[2][:32]), new(big.Int).SetBytes(raw[2][32:])))
	require.NoError(t, json.Unmarshal(raw[0], &header))
	require.NoError(t, json.Unmarshal(raw[1], &payload))
	return header, payload
}

func TestALBToken(t *testing.T) {
	alb := cognitotest.NewTestALB(t, clockOpt)
	kid, key := alb.SigningKey()
	assert.Regexp(t, uuidForm, kid)
	assert.Equal(t, kid, alb.KeyID())

	header, payload := decodeALB(t, alb.Token(), &key.PublicKey)
	exp := float64(now.Add(time.Hour).Unix())
	assert.Equal(t, map[string]any{
		"typ": "JWT", "kid": kid, "alg": "ES256", "iss": alb.Issuer(), "client": alb.ClientID, "signer": alb.ARN, "exp": exp,
	}, header)
	pool := cognitotest.NewTestPool(t)
	assert.Equal(t, map[string]any{
		"sub": pool.Subject("alice"), "email_verified": "true", "name": "alice", "email": "alice@example.com",
		"username": "alice", "exp": exp, "iss": "https://cognito-idp.us-east-1.amazonaws.com/" + cognitotest.DefaultPoolID,
	}, payload)

	header, payload = decodeALB(t, alb.Token(
		cognitotest.WithUser("bob"), cognitotest.ExpiresIn(-time.Minute),
		cognitotest.WithHeader("signer", "x"), cognitotest.WithoutHeader("typ"),
		cognitotest.WithClaim("identities", []string{"g"}), cognitotest.WithoutClaim("name"),
	), &key.PublicKey)
	assert.Equal(t, "x", header["signer"])
	assert.NotContains(t, header, "typ")
	assert.Equal(t, float64(now.Add(-time.Minute).Unix()), header["exp"])
	assert.Equal(t, header["exp"], payload["exp"], "ExpiresIn sets both")
	assert.Equal(t, pool.Subject("bob"), payload["sub"])
	assert.Equal(t, []any{"g"}, payload["identities"])
	assert.NotContains(t, payload, "name")

	signed := alb.Sign([]byte(`{"alg":"ES256","alg":"none"}`), []byte(`not json`))
	segs := strings.Split(signed, ".")
	h, err := base64.URLEncoding.DecodeString(segs[0])
	require.NoError(t, err)
	assert.Equal(t, `{"alg":"ES256","alg":"none"}`, string(h), "Sign uses the bytes verbatim")
}

func TestALBOptions(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
	alb := cognitotest.NewTestALB(t, cognitotest.WithALBARN(arn), cognitotest.WithALBUserPool("eu-west-1_Other"),
		cognitotest.WithALBClientID("client2"), clockOpt)
	assert.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other", alb.Issuer())
	_, key := alb.SigningKey()
	header, _ := decodeALB(t, alb.Token(), &key.PublicKey)
	assert.Equal(t, arn, header["signer"])
	assert.Equal(t, "client2", header["client"])

	cfg := alb.Config()
	assert.Equal(t, []string{arn}, cfg.LoadBalancerARNs)
	assert.Equal(t, "eu-west-1_Other", cfg.UserPoolID)
	assert.Equal(t, []string{"client2"}, cfg.ClientIDs)
	assert.Equal(t, alb.KeyURL(), cfg.KeyURL)
	assert.Equal(t, now, cfg.Now())
	v, err := cognito.NewALBVerifier(cfg)
	require.NoError(t, err)
	c, err := v.Verify(bgContext, alb.Token())
	require.NoError(t, err)
	assert.Equal(t, "alice", c.Username)
}

func getKey(t *testing.T, alb *cognitotest.ALB, kid string) (int, []byte) {
	t.Helper()
	resp, err := alb.HTTPClient().Get(alb.KeyURL() + "/" + kid)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func TestALBKeyServer(t *testing.T) {
	alb := cognitotest.NewTestALB(t)
	kid, key := alb.SigningKey()
	status, body := getKey(t, alb, kid)
	require.Equal(t, http.StatusOK, status)
	block, rest := pem.Decode(body)
	require.NotNil(t, block)
	assert.Equal(t, "PUBLIC KEY", block.Type)
	assert.Empty(t, rest)
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(pub))
	assert.Equal(t, body, alb.Keys()[kid])

	status, _ = getKey(t, alb, "00000000-0000-0000-0000-000000000000")
	assert.Equal(t, http.StatusForbidden, status, "a kid it does not have")
	assert.Equal(t, 2, alb.KeyRequests())

	alb.RotateKey()
	assert.NotEqual(t, kid, alb.KeyID())
	assert.Len(t, alb.Keys(), 2)
	status, _ = getKey(t, alb, kid)
	assert.Equal(t, http.StatusOK, status, "rotated keys stay published")
	alb.RetireOldKeys()
	status, _ = getKey(t, alb, kid)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Len(t, alb.Keys(), 1)

	alb.FailKeys(http.StatusServiceUnavailable)
	status, _ = getKey(t, alb, alb.KeyID())
	assert.Equal(t, http.StatusServiceUnavailable, status)
	alb.SetKeyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("odd")) }))
	status, body = getKey(t, alb, alb.KeyID())
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "odd", string(body))
	alb.SetKeyHandler(nil)
	status, _ = getKey(t, alb, alb.KeyID())
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 7, alb.KeyRequests(), "every request counted")
}

func TestALBHangKeys(t *testing.T) {
	alb := cognitotest.NewTestALB(t)
	alb.HangKeys()
	ctx, cancel := context.WithCancel(bgContext)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, alb.KeyURL()+"/"+alb.KeyID(), nil)
		resp, err := alb.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return alb.KeyRequests() == 1 }, 10*time.Second, time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("answered while hanging: %v", err)
	default:
	}
	// The client giving up ends the wait. (What the client's own transport
	// then returns, an error or a late empty answer, is net/http's business:
	// under a loaded -race run it has been seen to be either.)
	cancel()
	<-done

	// Close releases a request held by HangKeys.
	go func() {
		resp, err := alb.HTTPClient().Get(alb.KeyURL() + "/" + alb.KeyID())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return alb.KeyRequests() == 2 }, 10*time.Second, time.Millisecond)
	alb.Close()
	<-done
}
