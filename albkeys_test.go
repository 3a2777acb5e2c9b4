package cognito_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the load balancer key cache: the URL (from configuration and a
// validated kid only), key endpoint faults, the random-kid flood
// eviction, concurrency and staleness.

// keyTransport is a key server in memory, for tests that check the exact
// URL fetched or run in a synctest bubble, where a real socket would keep
// fake time from advancing.
type keyTransport struct {
	mu       sync.Mutex
	keys     map[string][]byte // URL to PEM
	status   int               // not 0: answer this status
	delay    time.Duration     // wait this long (or until the request is cancelled) first
	trickle  time.Duration     // send the body one byte per trickle
	panics   bool
	requests []string
}

func (k *keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	k.requests = append(k.requests, r.URL.String())
	body, ok := k.keys[r.URL.String()]
	status, delay, trickle, panics := k.status, k.delay, k.trickle, k.panics
	k.mu.Unlock()
	if panics {
		panic("the key server exploded")
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	if status == 0 && !ok {
		status, body = http.StatusForbidden, []byte("AccessDenied")
	} else if status == 0 {
		status = http.StatusOK
	}
	var rd io.Reader = bytes.NewReader(body)
	if trickle > 0 {
		rd = &trickleReader{data: body, every: trickle, ctx: r.Context()}
	}
	return &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:     http.Header{},
		Body:       io.NopCloser(rd),
		Request:    r,
	}, nil
}

// trickleReader yields one byte per interval until its request ends.
type trickleReader struct {
	data  []byte
	every time.Duration
	ctx   context.Context
}

func (t *trickleReader) Read(p []byte) (int, error) {
	if len(t.data) == 0 {
		return 0, io.EOF
	}
	select {
	case <-time.After(t.every):
	case <-t.ctx.Done():
		return 0, t.ctx.Err()
	}
	p[0], t.data = t.data[0], t.data[1:]
	return 1, nil
}

func (k *keyTransport) count() int { k.mu.Lock(); defer k.mu.Unlock(); return len(k.requests) }

func (k *keyTransport) set(f func(*keyTransport)) { k.mu.Lock(); defer k.mu.Unlock(); f(k) }

// The key URL is derived from the ARN's partition and region as AWS
// documents it, or is KeyURL; the kid is its only other part.
func TestALBKeyURL(t *testing.T) {
	const account = "123456789012:loadbalancer/app/web/50dc6c495c0c9188"
	for name, c := range map[string]struct {
		arn, keyURL, want string
	}{
		"aws":               {"arn:aws:elasticloadbalancing:eu-west-1:" + account, "", "https://public-keys.auth.elb.eu-west-1.amazonaws.com/"},
		"aws, other region": {"arn:aws:elasticloadbalancing:ap-southeast-4:" + account, "", "https://public-keys.auth.elb.ap-southeast-4.amazonaws.com/"},
		"GovCloud (US-West)": {"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:" + account, "",
			"https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/"},
		"GovCloud (US-East)": {"arn:aws-us-gov:elasticloadbalancing:us-gov-east-1:" + account, "",
			"https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1/"},
		"aws-cn, KeyURL":   {"arn:aws-cn:elasticloadbalancing:cn-north-1:" + account, "https://keys.example.cn/alb", "https://keys.example.cn/alb/"},
		"aws, KeyURL wins": {"arn:aws:elasticloadbalancing:eu-west-1:" + account, "https://mirror.example.com", "https://mirror.example.com/"},
	} {
		t.Run(name, func(t *testing.T) {
			alb := newALB(t, cognitotest.WithALBARN(c.arn))
			kt := &keyTransport{keys: map[string][]byte{c.want + alb.KeyID(): alb.Keys()[alb.KeyID()]}}
			v := newALBVerifier(t, alb, func(cfg *cognito.ALBConfig) {
				cfg.KeyURL = c.keyURL
				cfg.HTTPClient = &http.Client{Transport: kt}
			})
			_, err := v.Verify(ctx, alb.Token())
			require.NoError(t, err)
			assert.Equal(t, []string{c.want + alb.KeyID()}, kt.requests)
		})
	}
}

// keyFaults are misbehaving key servers, given the right PEM for the kid
// asked for and the load balancer's key pair.
func keyFaults(t *testing.T, good []byte, key *ecdsa.PrivateKey, elsewhere string) map[string]http.HandlerFunc {
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
	}
	body := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(b) }
	}
	block := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
	}
	spki := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		require.NoError(t, err)
		return block("PUBLIC KEY", der, nil)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, rsaKey := newPool(t).SigningKey(cognito.AccessToken)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "alb"}, NotAfter: fixedNow.Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	private, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	spkiDER, _ := pem.Decode(good)

	return map[string]http.HandlerFunc{
		"500":                    status(500),
		"503":                    status(503),
		"404":                    status(404),
		"403":                    status(403),
		"204":                    status(204),
		"HTML with 200":          body([]byte("<html><body>Sign in to the Wi-Fi</body></html>")),
		"empty 200":              body(nil),
		"RSA public key":         body(spki(&rsaKey.PublicKey)),
		"P-384 public key":       body(spki(&p384.PublicKey)),
		"Ed25519 public key":     body(spki(edPub)),
		"certificate of the key": body(block("CERTIFICATE", cert, nil)),
		"private key":            body(block("EC PRIVATE KEY", private, nil)),
		"two keys":               body(append(append([]byte{}, good...), good...)),
		"PEM headers":            body(block("PUBLIC KEY", spkiDER.Bytes, map[string]string{"Comment": "x"})),
		"text before the key":    body(append([]byte("key:\n"), good...)),
		"text after the key":     body(append(append([]byte{}, good...), "trailer"...)),
		"garbage in the block":   body(block("PUBLIC KEY", []byte("not DER"), nil)),
		"trailing DER bytes":     body(block("PUBLIC KEY", append(append([]byte{}, spkiDER.Bytes...), 0), nil)),
		"the key then 1 MiB":     body(append(append([]byte{}, good...), bytes.Repeat([]byte(" "), 1<<20)...)),
		"endless body": func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("A"), 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"redirect to a server with the key": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere+r.URL.Path, http.StatusFound)
		},
		"redirect to http": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+r.URL.Path, http.StatusMovedPermanently)
		},
	}
}

// whatever the key endpoint does wrong, a verifier without the key
// answers ErrKeysUnavailable (500), never 401, never with a key from
// anywhere else; a cached key keeps serving.
func TestALBKeyEndpointFaults(t *testing.T) {
	alb := newALB(t)
	kid, key := alb.SigningKey()
	good := alb.Keys()[kid]
	var elsewhereHits atomic.Int64
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		elsewhereHits.Add(1)
		_, _ = w.Write(good)
	}))
	t.Cleanup(elsewhere.Close)
	token := alb.Token()

	for name, h := range keyFaults(t, good, key, elsewhere.URL) {
		t.Run(name, func(t *testing.T) {
			// A client that would follow redirects: the verifier must not.
			v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.HTTPClient = &http.Client{Transport: elsewhere.Client().Transport} })
			alb.SetKeyHandler(h)
			before := alb.KeyRequests()
			c, err := v.Verify(ctx, token)
			requireUnavailable(t, c, err)
			assert.Equal(t, 1, alb.KeyRequests()-before)
			t.Logf("%v", err)
		})
	}
	alb.SetKeyHandler(nil)
	assert.Zero(t, elsewhereHits.Load(), "a redirect is never followed")

	t.Run("accepted forms", func(t *testing.T) {
		for name, body := range map[string][]byte{
			"CRLF line endings":           bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
			"whitespace around the block": append(append([]byte("\n  \n"), good...), "\n\n"...),
		} {
			alb.SetKeyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
			_, err := newALBVerifier(t, alb).Verify(ctx, token)
			assert.NoError(t, err, name)
		}
		alb.SetKeyHandler(nil)
	})
	t.Run("TLS failure", func(t *testing.T) {
		v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.HTTPClient = nil }) // does not trust the test CA
		before := alb.KeyRequests()
		c, err := v.Verify(ctx, token)
		requireUnavailable(t, c, err)
		assert.Equal(t, before, alb.KeyRequests(), "the handshake fails before any request")
	})
	t.Run("warm: the cached key serves while the endpoint fails", func(t *testing.T) {
		v := newALBVerifier(t, alb)
		_, err := v.Verify(ctx, token)
		require.NoError(t, err)
		alb.FailKeys(503)
		_, err = v.Verify(ctx, alb.Token(cognitotest.WithUser("bob")))
		require.NoError(t, err)
		alb.SetKeyHandler(nil)
	})
	t.Run("connection refused", func(t *testing.T) {
		closed := newALB(t)
		v := newALBVerifier(t, closed)
		closed.Close()
		c, err := v.Verify(ctx, closed.Token())
		requireUnavailable(t, c, err)
	})
}

// floodTokens returns a function giving good's token with another kid and
// otherwise the same bytes, with the pinned signer: only the kid's key
// could tell it is forged. It is safe to call from any goroutine.
func floodTokens(t testing.TB, good string) func(kid string) string {
	header, _, _ := albSegments(t, good)
	oldKid := header["kid"].(string)
	raw, err := base64.URLEncoding.DecodeString(good[:strings.IndexByte(good, '.')])
	require.NoError(t, err)
	_, rest, _ := strings.Cut(good, ".")
	return func(kid string) string {
		return padded([]byte(strings.Replace(string(raw), oldKid, kid, 1))) + "." + rest
	}
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// 10,000 tokens with random kids and the pinned signer, sequential
// and 64-way concurrent, cost what is left of the miss budget (4 fetches
// of kids not in the cache), then one per
// refetch interval; a cached kid keeps verifying throughout. A new kid of
// the load balancer meanwhile waits for the budget (500, not 401).
func TestALBKidFlood(t *testing.T) {
	for _, workers := range []int{1, 64} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			clk := &albClock{now: fixedNow}
			alb := newALB(t, cognitotest.WithALBClock(clk.Now))
			v := newALBVerifier(t, alb)
			good := alb.Token(cognitotest.ExpiresIn(24 * time.Hour))
			forge := floodTokens(t, good)
			_, err := v.Verify(ctx, good)
			require.NoError(t, err)

			var accepted, unavailable, goodFailures atomic.Int64
			const total = 10_000
			var next atomic.Int64
			stop := make(chan struct{})
			var legit, flood sync.WaitGroup
			legit.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := v.Verify(ctx, good); err != nil {
						goodFailures.Add(1)
					}
				}
			})
			for range workers {
				flood.Go(func() {
					for next.Add(1) <= total {
						_, err := v.Verify(ctx, forge(randomUUID()))
						switch {
						case err == nil:
							accepted.Add(1)
						case errorsIs(err, cognito.ErrKeysUnavailable):
							unavailable.Add(1)
						}
					}
				})
			}
			flood.Wait()
			close(stop)
			legit.Wait()
			assert.Zero(t, accepted.Load())
			assert.Equal(t, int64(total), unavailable.Load(), "no key: the verifier cannot decide")
			assert.Zero(t, goodFailures.Load(), "the cached kid kept verifying")
			assert.Equal(t, 4, alb.KeyRequests(), "the miss budget (the first, real kid's fetch included), then nothing")

			// The load balancer rotates during the flood: its new kid
			// waits for the budget to refill.
			alb.RotateKey()
			fresh := alb.Token(cognitotest.ExpiresIn(24 * time.Hour))
			c, err := v.Verify(ctx, fresh)
			requireUnavailable(t, c, err)
			clk.Add(cognito.DefaultRefetchInterval)
			_, err = v.Verify(ctx, fresh)
			require.NoError(t, err, "one refetch interval later")
			for range 100 {
				_, _ = v.Verify(ctx, forge(randomUUID()))
			}
			assert.Equal(t, 4+1, alb.KeyRequests(), "the refill went to the real kid")
			clk.Add(cognito.DefaultRefetchInterval)
			for range 100 {
				_, _ = v.Verify(ctx, forge(randomUUID()))
			}
			assert.Equal(t, 4+1+1, alb.KeyRequests(), "one more per interval")
		})
	}
}

// A churn of real kids (each fetched and stored) never evicts the key in
// use: the cache evicts the least recently used.
func TestALBKeyEviction(t *testing.T) {
	clk := &albClock{now: fixedNow}
	alb := newALB(t, cognitotest.WithALBClock(clk.Now))
	var old []string
	for range 12 {
		old = append(old, alb.KeyID())
		alb.RotateKey()
	}
	v := newALBVerifier(t, alb)
	good := alb.Token(cognitotest.ExpiresIn(24 * time.Hour))
	forge := floodTokens(t, good)
	_, err := v.Verify(ctx, good)
	require.NoError(t, err)
	for _, kid := range old {
		clk.Add(cognito.DefaultRefetchInterval) // within the miss budget
		c, err := v.Verify(ctx, forge(kid))
		requireRejected(t, cognito.ErrSignature, c, err) // a real key, not the signer's
		_, err = v.Verify(ctx, good)
		require.NoError(t, err)
	}
	assert.Equal(t, 1+len(old), alb.KeyRequests(), "the key in use was never fetched again")

	clk.Add(cognito.DefaultRefetchInterval)
	_, _ = v.Verify(ctx, forge(old[len(old)-1]))
	assert.Equal(t, 1+len(old), alb.KeyRequests(), "a recent key is still cached")
	_, _ = v.Verify(ctx, forge(old[0]))
	assert.Equal(t, 2+len(old), alb.KeyRequests(), "the least recently used was evicted")
}

// K-46 for ALB keys: many callers of a cold verifier, one fetch.
func TestALBKeyColdConcurrency(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	token := alb.Token()
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range 200 {
		wg.Go(func() {
			if _, err := v.Verify(ctx, token); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, 1, alb.KeyRequests())
}

// Keys given in ALBConfig.Keys: no network ever, an unknown kid is a
// rejected token (401), and they never grow too old.
func TestALBFixedKeys(t *testing.T) {
	clk := &albClock{now: fixedNow}
	alb := newALB(t, cognitotest.WithALBClock(clk.Now))
	keys := alb.Keys()
	v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.Keys, c.KeyURL, c.HTTPClient = keys, "", nil })
	alb.Close()
	token := alb.Token(cognitotest.ExpiresIn(30 * 24 * time.Hour))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)
	clk.Add(10 * cognito.DefaultMaxKeyAge)
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)
	c, err := v.Verify(ctx, floodTokens(t, token)(randomUUID()))
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
}

// staleALB returns a verifier in the current synctest bubble whose keys
// come from kt, with the bubble's clock, and a token valid for years.
func staleALB(t *testing.T, alb *cognitotest.ALB) (*cognito.ALBVerifier, *keyTransport, string) {
	const base = "https://keys.test"
	kt := &keyTransport{keys: map[string][]byte{base + "/" + alb.KeyID(): alb.Keys()[alb.KeyID()]}}
	v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) {
		c.KeyURL, c.HTTPClient, c.Now = base, &http.Client{Transport: kt}, nil
	})
	// The bubble's clock starts in 2000; the token expires in 2026.
	return v, kt, alb.Token()
}

// K-49 for ALB keys, in fake time: a key older than an hour is refreshed
// in the background (the call that notices is not delayed); while every
// refresh fails, or the key server dropped the key, it serves for
// DefaultMaxKeyAge after the last successful fetch, then Verify fails
// closed with ErrKeysUnavailable and recovers with the endpoint.
func TestALBKeyStaleness(t *testing.T) {
	alb := newALB(t)
	t.Run("refreshed in the background", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			v, kt, token := staleALB(t, alb)
			verify := func() {
				t.Helper()
				_, err := v.Verify(ctx, token)
				require.NoError(t, err)
				synctest.Wait()
			}
			verify()
			time.Sleep(cognito.DefaultKeyRefreshInterval - time.Second)
			verify()
			assert.Equal(t, 1, kt.count(), "not an hour old yet")
			time.Sleep(time.Second)
			verify()
			assert.Equal(t, 2, kt.count(), "the hour-old key was refreshed")
			verify()
			assert.Equal(t, 2, kt.count(), "and is fresh again")
		})
	})
	for name, fault := range map[string]func(*keyTransport){
		"refreshes fail":                       func(k *keyTransport) { k.status = 503 },
		"the key server no longer has the key": func(k *keyTransport) { k.keys = nil },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v, kt, token := staleALB(t, alb)
				keys := kt.keys
				_, err := v.Verify(ctx, token)
				require.NoError(t, err)
				kt.set(fault)
				for elapsed := 30 * time.Minute; elapsed < cognito.DefaultMaxKeyAge; elapsed += 30 * time.Minute {
					time.Sleep(30 * time.Minute)
					_, err := v.Verify(ctx, token)
					require.NoError(t, err, "at %v", elapsed)
					_, err = v.Verify(ctx, token) // within the retry slot: no second attempt
					require.NoError(t, err)
					synctest.Wait()
				}
				assert.Equal(t, 1+int(cognito.DefaultMaxKeyAge-cognito.DefaultKeyRefreshInterval)/int(30*time.Minute), kt.count(),
					"one refresh attempt per call after the first hour, none inside the retry slot")
				time.Sleep(30 * time.Minute) // DefaultMaxKeyAge after the fetch
				c, err := v.Verify(ctx, token)
				requireUnavailable(t, c, err)
				kt.set(func(k *keyTransport) { k.status, k.keys = 0, keys })
				c, err = v.Verify(ctx, token)
				requireUnavailable(t, c, err)
				assert.Contains(t, err.Error(), "last refresh failed", "no new attempt inside the retry slot")
				time.Sleep(cognito.DefaultRefetchInterval)
				_, err = v.Verify(ctx, token)
				require.NoError(t, err, "recovers with the endpoint")
			})
		})
	}
	t.Run("a hanging key server is cut at DefaultFetchTimeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			v, kt, token := staleALB(t, alb)
			kt.set(func(k *keyTransport) { k.delay = time.Hour })
			start := time.Now()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			took := make([]time.Duration, 2)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = v.Verify(ctx, token)
					took[i] = time.Since(start)
				})
			}
			wg.Wait()
			for i, err := range errs {
				requireUnavailable(t, nil, err)
				assert.Equal(t, cognito.DefaultFetchTimeout, took[i], "fake time: exact")
			}
			assert.Equal(t, 1, kt.count(), "both callers waited for one fetch")
		})
	})
	t.Run("a trickling body is cut at DefaultFetchTimeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			v, kt, token := staleALB(t, alb)
			kt.set(func(k *keyTransport) { k.trickle = time.Second }) // a PEM takes minutes
			start := time.Now()
			c, err := v.Verify(ctx, token)
			requireUnavailable(t, c, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, cognito.DefaultFetchTimeout, time.Since(start), "fake time: exact")
		})
	})
	t.Run("a caller that gives up does not fail the others", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			v, kt, token := staleALB(t, alb)
			kt.set(func(k *keyTransport) { k.delay = 2 * time.Second })
			impatient, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			var wg sync.WaitGroup
			var gaveUp, waited error
			wg.Go(func() { _, gaveUp = v.Verify(impatient, token) })
			wg.Go(func() { _, waited = v.Verify(ctx, token) })
			wg.Wait()
			requireUnavailable(t, nil, gaveUp)
			assert.ErrorIs(t, gaveUp, context.DeadlineExceeded)
			assert.NoError(t, waited)
			assert.Equal(t, 1, kt.count())
		})
	})
	t.Run("a panic while fetching is an error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			v, kt, token := staleALB(t, alb)
			kt.set(func(k *keyTransport) { k.panics = true })
			c, err := v.Verify(ctx, token)
			requireUnavailable(t, c, err)
			assert.Contains(t, err.Error(), "panic")
			kt.set(func(k *keyTransport) { k.panics = false })
			_, err = v.Verify(ctx, token)
			require.NoError(t, err)
		})
	})
}
