package cognito

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Internals that mutation testing (scripts/mutation.sh) found unpinned and
// that no test through Verify can reach precisely: the token cache's ring,
// the header fast path, the JSON nesting bound on objects.

// testDigest is a signing-input digest in shard shard, distinct per n.
func testDigest(shard byte, n int) *[32]byte {
	var d [32]byte
	d[0] = shard
	binary.BigEndian.PutUint32(d[1:], uint32(n))
	return &d
}

// Each shard keeps its newest entries, evicting oldest first, through many
// turns of its ring, and the size rounds up to whole slots per shard.
func TestTokenCacheRing(t *testing.T) {
	cases := []struct {
		size, perShard int
	}{
		{1, 1},
		{16, 1},
		{17, 2},
		{48, 3},
		{49, 4},
		{1000, 63},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			c := newTokenCache(tc.size)
			other := &cacheEntry{sig: "other"}
			c.put(testDigest(7, 0), other)
			// Shards are picked by the digest's first byte mod 16: 5 and 21
			// share one.
			for n := range 6 * tc.perShard {
				shard := byte(5)
				if n%2 == 1 {
					shard = 21
				}
				c.put(testDigest(shard, n), &cacheEntry{sig: fmt.Sprint(n)})
				for m := 0; m <= n; m++ {
					shard := byte(5)
					if m%2 == 1 {
						shard = 21
					}
					kept := m > n-tc.perShard
					assert.Equal(t, kept, c.get(testDigest(shard, m), fmt.Sprint(m)) != nil, "after %d puts, entry %d", n+1, m)
				}
				require.Len(t, c.shards[5].m, min(n+1, tc.perShard))
				require.LessOrEqual(t, len(c.shards[5].ring), tc.perShard)
			}
			assert.Same(t, other, c.get(testDigest(7, 0), "other"), "another shard is untouched")
		})
	}
}

// A put of a digest already cached replaces its entry without evicting;
// get needs the exact signature; remove deletes only the entry it was given.
func TestTokenCacheEntries(t *testing.T) {
	c := newTokenCache(3 * cacheShards)
	d := testDigest(2, 0)
	first, second := &cacheEntry{sig: "sig"}, &cacheEntry{sig: "sig"}
	c.put(d, first)
	c.put(testDigest(2, 1), &cacheEntry{sig: "b"})
	c.put(d, second)
	c.put(testDigest(2, 2), &cacheEntry{sig: "c"})
	assert.Same(t, second, c.get(d, "sig"))
	assert.NotNil(t, c.get(testDigest(2, 1), "b"), "replacing did not take a slot")
	assert.Nil(t, c.get(d, "si"))
	assert.Nil(t, c.get(d, "sig2"))
	assert.Nil(t, c.get(d, ""))
	assert.Nil(t, c.get(testDigest(3, 0), "sig"), "same signature, other digest")

	c.remove(d, first) // no longer the entry: kept
	assert.Same(t, second, c.get(d, "sig"))
	c.remove(d, second)
	assert.Nil(t, c.get(d, "sig"))

	for range 3 {
		c.served(d)
	}
	c.served(testDigest(9, 0))
	assert.Equal(t, uint64(4), c.hitCount())
}

// The fast header path takes exactly the headers of plain string members
// alg, kid and typ, each at most once, and declines the rest; on every
// header both paths give the same answer, and the fast one allocates
// nothing.
func TestHeaderFastPath(t *testing.T) {
	cases := []struct {
		header string
		fast   bool
	}{
		{`{"alg":"RS256","kid":"abc="}`, true},
		{`{"kid":"abc=","alg":"RS256"}`, true},
		{" {\t\"alg\" :\r\n\"RS256\" , \"kid\":\"a b\",\"typ\":\"JWT\" } \n", true},
		{`{"alg":"RS256","kid":"k","typ":"jwt"}`, true},
		{`{"alg":"RS256","kid":"k","typ":"at+jwt"}`, true},
		{`{"alg":"HS256","kid":"k"}`, true},
		{`{"alg":"RS256","kid":""}`, true},
		{`{"alg":"RS256"}`, true},
		{`{"kid":"k"}`, true},
		{`{}`, true},
		{` { } `, true},
		{`{"alg":"RS256","kid":"` + strings.Repeat("k", 257) + `"}`, true},
		{`{"alg":"RS256","kid":"\u0061"}`, false},
		{`{"alg":"RS256","kid":"a\"b"}`, false},
		{"{\"alg\":\"RS256\",\"kid\":\"a\x1fb\"}", false},
		{"{\"alg\":\"RS256\",\"kid\":\"a\tb\"}", false},
		{`{"alg":"RS256","kid":null}`, false},
		{`{"alg":"RS256","kid":1}`, false},
		{`{"alg":"RS256","alg":"RS256","kid":"k"}`, false},
		{`{"alg":"RS256","kid":"k","kid":"k"}`, false},
		{`{"alg":"RS256","kid":"k","typ":"JWT","typ":"JWT"}`, false},
		{`{"alg":"RS256","kid":"k","cty":"JWT"}`, false},
		{`{"alg":"RS256","kid":"k",}`, false},
		{`{"alg":"RS256","kid":"k"}x`, false},
		{`{"alg":"RS256","kid":"k"}}`, false},
		{`{"alg":"RS256";"kid":"k"}`, false},
		{`{"alg":"RS256" "kid":"k"}`, false},
		{`{"alg" "RS256"}`, false},
		{`{alg:"RS256"}`, false},
		{`{"alg":RS256}`, false},
		{`{} x`, false},
		{`{`, false},
		{`{ `, false},
		{`{"alg`, false},
		{`{"alg"`, false},
		{`{"alg":`, false},
		{`{"alg":"RS256`, false},
		{`{"alg":"RS256"`, false},
		{`{"alg":"RS256",`, false},
		{`{"alg":"RS256", `, false},
	}
	for _, tc := range cases {
		t.Run(tc.header, func(t *testing.T) {
			raw := []byte(tc.header)
			start := skipWS(raw, 0)
			_, _, _, ok := scanSimpleHeader(raw[start:])
			assert.Equal(t, tc.fast, ok, "fast path")

			kid, err := parseHeader(raw)
			fullKid, fullErr := parseHeaderJSON([]byte(tc.header))
			assert.Equal(t, string(fullKid), string(kid))
			assert.Equal(t, reasonOf(fullErr), reasonOf(err), "fast %v, full %v", err, fullErr)

			if tc.fast {
				allocs := testing.AllocsPerRun(20, func() { _, err = parseHeader(raw) })
				if err == nil {
					assert.Zero(t, allocs)
				}
			}
		})
	}
}

// reasonOf returns the reason sentinel of a TokenError, or nil.
func reasonOf(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return err
}

// Every prefix of a header is malformed, and reading it panics nowhere:
// the bound checks of the fast path guard each position a header can be
// cut at.
func TestTruncatedHeaders(t *testing.T) {
	for _, header := range []string{
		`{"alg":"RS256","kid":"abc=","typ":"JWT"}`,
		` { "alg" : "RS256" , "kid" : "abc=" } `,
	} {
		for i := range len(strings.TrimRight(header, " ")) {
			for _, cut := range []string{header[:i], header[:i] + " "} {
				_, err := parseHeader([]byte(cut))
				require.ErrorIs(t, err, ErrMalformed, "%q", cut)
			}
		}
	}
}

// The nesting limit (go-jose's, 10,000 levels counting the payload object)
// holds for objects as for arrays, in every place the scanner skips a
// value: an unknown claim, a claim of the wrong type, an element of aud or
// cognito:groups; and the scanner agrees with go-jose's decoder at the bound.
func TestNestingLimit(t *testing.T) {
	objects := func(levels int) string {
		return strings.Repeat(`{"a":`, levels) + `1` + strings.Repeat(`}`, levels)
	}
	arrays := func(levels int) string {
		return strings.Repeat(`[`, levels) + strings.Repeat(`]`, levels)
	}
	cases := []struct {
		name  string
		wrap  func(value string) string
		outer int // levels around the value: the payload object and any list
	}{
		{"unknown claim", func(v string) string { return `{"x":` + v + `}` }, 1},
		{"wrong type", func(v string) string { return `{"exp":` + v + `}` }, 1},
		{"aud element", func(v string) string { return `{"aud":[` + v + `]}` }, 2},
		{"later aud element", func(v string) string { return `{"aud":[1,` + v + `]}` }, 2},
		{"groups element", func(v string) string { return `{"cognito:groups":["g",` + v + `]}` }, 2},
	}
	for _, tc := range cases {
		for kind, nest := range map[string]func(int) string{"objects": objects, "arrays": arrays} {
			t.Run(tc.name+" "+kind, func(t *testing.T) {
				at := tc.wrap(nest(maxDepth - tc.outer))
				var sc scanned
				err := scanClaims(at, &sc)
				if err != nil {
					require.ErrorIs(t, err, ErrClaim, "at the limit: only a type error")
				}
				compareDecoders(t, at)

				past := tc.wrap(nest(maxDepth - tc.outer + 1))
				sc = scanned{}
				err = scanClaims(past, &sc)
				require.ErrorIs(t, err, ErrMalformed)
				assert.ErrorContains(t, err, "nested too deeply")
				compareDecoders(t, past)
			})
		}
	}
}

// A copy of Claims keeps lists that fit inline in its own store (no
// allocation), copies longer ones to one new array, and in every case shares
// no list memory with the original; appending to one list of the copy never
// writes over the next.
func TestClaimsCopy(t *testing.T) {
	// claims returns Claims whose three lists hold n strings in all.
	claims := func(n int) *Claims {
		c := &Claims{}
		if n < 0 {
			return c
		}
		all := make([]string, n)
		for i := range all {
			all[i] = fmt.Sprint("v", i)
		}
		c.Audience, c.Groups, c.Scopes = all[:n/3:n/3], all[n/3:2*n/3:2*n/3], all[2*n/3:]
		return c
	}
	inStore := func(out *Claims, list []string) bool {
		if len(list) == 0 {
			return true
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(list)))
		lo := uintptr(unsafe.Pointer(&out.store[0]))
		return p >= lo && p < lo+unsafe.Sizeof(out.store)
	}
	cases := []struct {
		name   string
		c      *Claims
		inline bool // the copy's lists are in its own store
	}{
		{"no lists", claims(-1), true},
		{"empty lists", claims(0), true},
		{"3 strings", claims(3), true},
		{"8 strings", claims(8), true},
		{"9 strings", claims(9), false},
		{"30 strings", claims(30), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := [][]string{slices.Clone(tc.c.Audience), slices.Clone(tc.c.Groups), slices.Clone(tc.c.Scopes)}
			out := tc.c.clone()
			assert.Equal(t, want, [][]string{out.Audience, out.Groups, out.Scopes})
			for _, list := range [][]string{out.Audience, out.Groups, out.Scopes} {
				assert.Equal(t, tc.inline, inStore(out, list) || len(list) == 0 && !tc.inline, "inline")
			}
			for i, list := range [][]string{out.Audience, out.Groups, out.Scopes} {
				if len(list) > 0 {
					list[0] = "changed"
					assert.Equal(t, want, [][]string{tc.c.Audience, tc.c.Groups, tc.c.Scopes}, "the original changed (list %d)", i)
				}
			}
			groups := slices.Clone(out.Groups)
			_ = append(out.Audience, "appended")
			assert.Equal(t, groups, out.Groups, "an append to Audience wrote over Groups")
		})
	}
}

// Scanner paths the fuzz seeds reach only by chance: a list whose first
// element has the wrong type and more elements after it, an empty claim
// name beside others, and the type errors' texts.
func TestScannerEdges(t *testing.T) {
	cases := []struct {
		payload string
		reason  error  // nil: accepted
		says    string // in the error
	}{
		{`{"aud":[1,"a"]}`, ErrClaim, "aud is not an array of strings"},
		{`{"aud":[1,"a",[2],{"b":3}]}`, ErrClaim, "aud is not an array of strings"},
		{`{"aud":["a",1,"b"]}`, ErrClaim, "aud is not an array of strings"},
		{`{"aud":5}`, ErrClaim, "aud is not a string or an array of strings"},
		{`{"aud":{}}`, ErrClaim, "aud is not a string or an array of strings"},
		{`{"cognito:groups":[1,"a",2]}`, ErrClaim, "cognito:groups is not an array of strings"},
		{`{"cognito:groups":5}`, ErrClaim, "cognito:groups is not an array of strings"},
		{`{"cognito:groups":"a"}`, ErrClaim, "cognito:groups is not an array of strings"},
		{`{"cognito:groups":true}`, ErrClaim, "cognito:groups is not an array of strings"},
		{`{"aud":[1,"a"}`, ErrMalformed, "invalid JSON"},
		{`{"aud":[1,}`, ErrMalformed, "invalid JSON"},
		{`{"x":1,"":2}`, nil, ""},
		{`{"":1,"x":2,"y":3}`, nil, ""},
		{`{"":1,"":2}`, ErrMalformed, `duplicate claim ""`},
		{`{"sub":"a b\u0041 c"}`, nil, ""},
		{`{"x":9,"y":[9,0],"z":{"a":9}}`, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.payload, func(t *testing.T) {
			var sc scanned
			err := scanClaims(tc.payload, &sc)
			if tc.reason == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.reason)
				assert.ErrorContains(t, err, tc.says)
			}
			compareDecoders(t, tc.payload)
		})
	}
}

// The default HTTP client has the timeouts Config.HTTPClient documents
// (3 s for TLS and response headers; the dialer's 3 s is inside a closure)
// and never follows a redirect.
func TestDefaultHTTPClient(t *testing.T) {
	c := newHTTPClient()
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, 3*time.Second, tr.TLSHandshakeTimeout)
	assert.Equal(t, 3*time.Second, tr.ResponseHeaderTimeout)
	assert.Equal(t, 90*time.Second, tr.IdleConnTimeout)
	assert.Equal(t, 4, tr.MaxIdleConns)
	assert.NotNil(t, tr.DialContext)
	assert.Equal(t, http.ErrUseLastResponse, c.CheckRedirect(nil, nil))
	assert.Equal(t, 5*time.Second, time.Duration(DefaultFetchTimeout))
}
