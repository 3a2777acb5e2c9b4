package cognito

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4/json"
)

// This file verifies the token an Application Load Balancer whose listener
// rule authenticates users (authenticate-cognito, authenticate-oidc) adds to
// each request in the x-amzn-oidc-data header: a JWT signed with ES256 by a
// regional key, base64url with padding, the load balancer's ARN in the
// header's signer. The keys, one PEM per kid, are in albkeys.go.

// ALBConfig configures an [ALBVerifier]. LoadBalancerARNs, the issuer
// (UserPoolID or Issuer) and ClientIDs (or SkipClientIDCheck) are required;
// every other field has a safe default.
type ALBConfig struct {
	// LoadBalancerARNs lists the load balancers whose tokens are accepted,
	// such as
	// "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188".
	// A token's signer must be one of them, byte for byte, and is checked
	// before any key is fetched: a region's key server publishes the keys
	// of every load balancer in the region, so a token signed for someone
	// else's load balancer verifies in every other respect ("ALBeast").
	// All must be of one partition and region, from which the key URL is
	// derived.
	LoadBalancerARNs []string

	// UserPoolID is the Cognito user pool the load balancer signs users in
	// with; the iss tokens must carry,
	// https://cognito-idp.{region}.amazonaws.com/{UserPoolID}, is derived
	// from it as in [Config]. Set UserPoolID or Issuer.
	UserPoolID string
	// Issuer is the iss tokens must carry, when it is not derived from a
	// user pool ID (an authenticate-oidc rule, tests). It must be an https
	// URL, or http on a loopback host.
	Issuer string

	// ClientIDs lists the app clients whose tokens are accepted: the
	// header's client must be one of them.
	ClientIDs []string
	// SkipClientIDCheck accepts tokens of any app client. It must be set
	// explicitly when ClientIDs is empty.
	SkipClientIDCheck bool

	// Leeway tolerates clock skew on exp (and on nbf and iat, which the
	// load balancer does not send). Default 0; at most MaxLeeway.
	Leeway time.Duration

	// HTTPClient fetches keys. Nil means a client with dial, TLS and
	// header timeouts of 3 s. Redirects are never followed, whatever the
	// client's CheckRedirect says, and each fetch is bounded by
	// DefaultFetchTimeout.
	HTTPClient *http.Client

	// KeyURL overrides the base URL of the keys: the key of kid K is
	// fetched from KeyURL + "/" + K. By default it is derived from the
	// partition and region of LoadBalancerARNs as AWS documents it:
	// https://public-keys.auth.elb.{region}.amazonaws.com in the aws
	// partition, and an S3 URL in us-gov-west-1 and us-gov-east-1. In any
	// other partition or region (aws-cn included, for which AWS documents
	// no URL) it is required. It must be an https URL, or http on a
	// loopback host.
	KeyURL string

	// Keys, when set, are the only keys the verifier uses: kid (a lowercase
	// UUID) to the PEM the key server serves for it. The verifier then
	// never fetches, and a token with another kid is rejected.
	Keys map[string][]byte

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// ALBVerifier verifies the x-amzn-oidc-data tokens of the configured
// Application Load Balancers and returns their claims as [Claims], so that
// [Middleware] and [ClaimsFromContext] serve them like Cognito tokens.
// Build it once with [NewALBVerifier] and share it: it is safe for
// concurrent use, and it caches the load balancers' keys.
type ALBVerifier struct {
	signers      []string
	issuer       string
	clientIDs    []string
	skipClientID bool
	leeway       time.Duration
	now          func() time.Time
	keys         *albKeyCache
}

var _ TokenVerifier = (*ALBVerifier)(nil)

// albARNPattern is an Application Load Balancer ARN; partition and region
// are checked further by NewALBVerifier.
var albARNPattern = regexp.MustCompile(`^arn:([^:]+):elasticloadbalancing:([^:]+):[0-9]{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)

// NewALBVerifier checks cfg and returns an ALBVerifier. It does no network
// I/O: a key is fetched when the first token naming its kid arrives.
func NewALBVerifier(cfg ALBConfig) (*ALBVerifier, error) {
	bad := func(format string, args ...any) (*ALBVerifier, error) {
		return nil, fmt.Errorf("cognito: invalid ALB config: "+format, args...)
	}
	v := &ALBVerifier{
		clientIDs:    cloneNonEmpty(cfg.ClientIDs),
		skipClientID: cfg.SkipClientIDCheck,
		leeway:       cfg.Leeway,
		now:          cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}

	partition, region, err := albPartitionRegion(cfg.LoadBalancerARNs)
	if err != nil {
		return bad("%v", err)
	}
	v.signers = slices.Clone(cfg.LoadBalancerARNs)

	switch {
	case cfg.Issuer != "" && cfg.UserPoolID != "":
		return bad("set UserPoolID or Issuer, not both")
	case cfg.Issuer != "":
		if err := checkURL(cfg.Issuer, false); err != nil {
			return bad("Issuer: %v", err)
		}
		v.issuer = cfg.Issuer
	case poolIDPattern.MatchString(cfg.UserPoolID):
		poolRegion, _, _ := strings.Cut(cfg.UserPoolID, "_")
		v.issuer = cognitoIssuer("cognito-idp", poolRegion, cfg.UserPoolID)
	case cfg.UserPoolID == "":
		return bad("UserPoolID or Issuer is required")
	default:
		return bad("UserPoolID %q is not a Cognito user pool ID such as us-east-1_AbC123xyz", cfg.UserPoolID)
	}

	switch {
	case len(cfg.ClientIDs) != len(v.clientIDs):
		return bad("ClientIDs holds an empty string")
	case len(v.clientIDs) == 0 && !v.skipClientID:
		return bad("ClientIDs is required (or set SkipClientIDCheck to accept every app client)")
	case len(v.clientIDs) > 0 && v.skipClientID:
		return bad("ClientIDs and SkipClientIDCheck are both set")
	case v.leeway < 0 || v.leeway > MaxLeeway:
		return bad("Leeway %v is not between 0 and %v", v.leeway, MaxLeeway)
	}

	if cfg.Keys != nil {
		if cfg.KeyURL != "" {
			return bad("Keys and KeyURL are both set")
		}
		if v.keys, err = newFixedALBKeys(cfg.Keys); err != nil {
			return bad("Keys: %v", err)
		}
		return v, nil
	}
	base := cfg.KeyURL
	if base == "" {
		if base, err = defaultALBKeyURL(partition, region); err != nil {
			return bad("%v", err)
		}
	} else if err := checkURL(base, false); err != nil {
		return bad("KeyURL: %v", err)
	}
	client := newHTTPClient()
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		hc.CheckRedirect = refuseRedirect
		client = &hc
	}
	v.keys = newALBKeyCache(base, client, v.now)
	return v, nil
}

// albPartitionRegion checks the load balancer ARNs and returns their
// partition and region.
func albPartitionRegion(arns []string) (partition, region string, err error) {
	if len(arns) == 0 {
		return "", "", fmt.Errorf("LoadBalancerARNs is required: the ARN of each load balancer whose tokens are accepted")
	}
	for i, arn := range arns {
		m := albARNPattern.FindStringSubmatch(arn)
		switch {
		case m == nil:
			return "", "", fmt.Errorf("LoadBalancerARNs: %q is not an Application Load Balancer ARN such as arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188", arn)
		case !partitionPattern.MatchString(m[1]) || !regionPattern.MatchString(m[2]):
			return "", "", fmt.Errorf("LoadBalancerARNs: %q has no valid partition and region", arn)
		case (m[1] == "aws-us-gov") != strings.HasPrefix(m[2], "us-gov-"), (m[1] == "aws-cn") != strings.HasPrefix(m[2], "cn-"):
			return "", "", fmt.Errorf("LoadBalancerARNs: region %q is not in partition %q", m[2], m[1])
		case slices.Contains(arns[:i], arn):
			return "", "", fmt.Errorf("LoadBalancerARNs: %q is listed twice", arn)
		case i > 0 && (m[1] != partition || m[2] != region):
			// The key URL is per region, and a kid does not say
			// which region's key server has it.
			return "", "", fmt.Errorf("LoadBalancerARNs: %q is not in %s %s like the first: use one verifier per region", arn, partition, region)
		}
		partition, region = m[1], m[2]
	}
	return partition, region, nil
}

// defaultALBKeyURL returns the base URL AWS documents for the load
// balancer keys of a region (ELB guide, "User claims encoding and signature
// verification").
func defaultALBKeyURL(partition, region string) (string, error) {
	switch {
	case partition == "aws":
		return "https://public-keys.auth.elb." + region + ".amazonaws.com", nil
	case partition == "aws-us-gov" && (region == "us-gov-west-1" || region == "us-gov-east-1"):
		return "https://s3-" + region + ".amazonaws.com/aws-elb-public-keys-prod-" + region, nil
	}
	return "", fmt.Errorf("AWS documents no load balancer key URL for %s %s: set KeyURL", partition, region)
}

// b64Padded is base64url with the padding a standard encoder writes, and
// nothing looser: the padding must be there and exact, and the unused bits
// zero, so each byte string has one encoding. Go's decoder skips CR and LF,
// which split refuses.
var b64Padded = base64.URLEncoding.Strict()

func decodePaddedInto(buf []byte, seg string) ([]byte, error) {
	if n := b64Padded.DecodedLen(len(seg)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64Padded.Decode(buf, bytesOf(seg))
	return buf[:n], err
}

// es256SignatureBytes is the length of an ES256 signature in JOSE form, r
// and s of 32 bytes each (RFC 7518 §3.4).
const es256SignatureBytes = 64

// Verify checks an x-amzn-oidc-data token and returns its claims. The
// checks, in order: size and framing (three segments of base64url with
// exactly the padding a standard encoder writes); the header (alg exactly
// ES256, kid a lowercase UUID, signer one of the configured load balancers,
// iss the configured issuer, client a configured app client, exp present,
// typ absent or JWT, no other parameter), all before any key is fetched;
// the key of that kid, from the configured key URL; the signature (r||s,
// 64 bytes); then exp (header and payload must be equal), nbf and iat when
// present, the payload's iss and sub.
//
// The claims carry Subject, Username, Email, EmailVerified, Issuer,
// ClientID (the header's client) and ExpiresAt; TokenUse, Groups and
// Scopes are empty (the load balancer sends user info, not an access
// token). [Claims.Decode] and [Claims.StringClaim] read the rest, such as
// name and identities.
//
// On any failure it returns nil claims and an error that wraps either
// [ErrInvalidToken] and a specific reason, or [ErrKeysUnavailable]. Verify
// never returns an expiry error for a token whose signature is not valid.
func (v *ALBVerifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > DefaultMaxTokenBytes {
		return nil, reject(ErrTooLarge, "%d bytes, limit %d", len(token), DefaultMaxTokenBytes)
	}
	h, p, err := split(token)
	if err != nil {
		return nil, err
	}
	// Buffers on the stack: a load balancer's header is about 300 bytes,
	// the user info well under 2 KiB.
	var hbuf [512]byte
	rawHeader, err := decodePaddedInto(hbuf[:], token[:h])
	if err != nil {
		return nil, reject(ErrMalformed, "header is not padded base64url: %v", err)
	}
	hd, err := v.checkHeader(rawHeader)
	if err != nil {
		return nil, err
	}
	var pbuf [2048]byte
	payload, err := decodePaddedInto(pbuf[:], token[h+1:p])
	if err != nil {
		return nil, reject(ErrMalformed, "payload is not padded base64url: %v", err)
	}
	var sbuf [96]byte
	sig, err := decodePaddedInto(sbuf[:], token[p+1:])
	if err != nil {
		return nil, reject(ErrMalformed, "signature is not padded base64url: %v", err)
	}
	if len(sig) != es256SignatureBytes {
		// DER, truncated or padded signatures cost no key fetch.
		return nil, reject(ErrSignature, "%d bytes, want r||s of %d", len(sig), es256SignatureBytes)
	}

	key, err := v.keys.lookup(ctx, hd.kid)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(bytesOf(token[:p]))
	if !verifyES256(key, digest[:], sig) {
		return nil, reject(ErrSignature, "")
	}

	var sc scanned
	c, err := scanPayload(payload, &sc)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(&sc, &hd, c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClaims applies the rules for the verified payload and fills c.
func (v *ALBVerifier) checkClaims(sc *scanned, hd *albHeader, c *Claims) error {
	if sc.has&cExp == 0 {
		return reject(ErrClaim, "exp is missing from the payload")
	}
	if sc.exp != hd.exp {
		// The load balancer writes one value in both; two are a token it
		// did not make as documented.
		return reject(ErrClaim, "exp in the header and in the payload differ")
	}
	now := v.now()
	c.ExpiresAt = sc.exp.time()
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return reject(ErrExpired, "expired at %s", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if sc.has&cNbf != 0 {
		if c.NotBefore = sc.nbf.time(); now.Add(v.leeway).Before(c.NotBefore) {
			return reject(ErrNotYetValid, "not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	if sc.has&cIat != 0 {
		if c.IssuedAt = sc.iat.time(); now.Add(v.leeway).Before(c.IssuedAt) {
			return reject(ErrIssuedInFuture, "issued at %s", c.IssuedAt.UTC().Format(time.RFC3339))
		}
	}
	switch {
	case sc.has&cIss == 0:
		return reject(ErrIssuer, "iss is missing from the payload, want %q", v.issuer)
	case sc.iss != v.issuer:
		return reject(ErrIssuer, "payload iss %q, want %q", sc.iss, v.issuer)
	case sc.sub == "":
		return reject(ErrSubject, "sub is missing or empty")
	}
	c.Subject = sc.sub
	c.Username = sc.username
	c.Email = sc.email
	c.EmailVerified = sc.emailVerified
	c.Issuer = v.issuer
	c.ClientID = hd.client
	return nil
}

// albHeader is the checked header.
type albHeader struct {
	kid    [16]byte
	client string // the configured client ID it matched, or a copy of it
	exp    numericDate
}

// albHeaderFields are a header's members as decoded bytes; nil: absent or
// null.
type albHeaderFields struct {
	alg, typ, kid, iss, client, signer []byte
	exp                                []byte // the number's literal
}

// checkHeader parses the decoded header and applies the header rules.
// Every parameter but typ, kid, alg, iss, client, signer and exp is
// rejected: jwk, jku, x5u and x5c would name keys the token chose, crit and
// b64 change what is signed, cty asks for nested processing, and RFC 7515
// §5.2 forbids ignoring what we do not understand. A load balancer header
// of plain strings and an integer exp takes the fast path; anything else
// is judged by the full JSON parser.
func (v *ALBVerifier) checkHeader(raw []byte) (albHeader, error) {
	if i := skipWS(raw, 0); i == len(raw) || raw[i] != '{' || !utf8.Valid(raw) {
		return albHeader{}, reject(ErrMalformed, "header is not a JSON object")
	} else if f, ok := scanSimpleALBHeader(raw[i:]); ok {
		return v.checkHeaderFields(&f)
	}
	f, err := parseALBHeaderJSON(bytes.Clone(raw))
	if err != nil {
		return albHeader{}, err
	}
	return v.checkHeaderFields(&f)
}

func (v *ALBVerifier) checkHeaderFields(f *albHeaderFields) (albHeader, error) {
	var hd albHeader
	switch {
	case f.alg == nil:
		return hd, reject(ErrAlgorithm, "alg is missing, want ES256")
	case string(f.alg) != "ES256":
		return hd, reject(ErrAlgorithm, "alg %q, want ES256", truncate(string(f.alg)))
	case f.typ != nil && !bytes.EqualFold(f.typ, []byte("JWT")):
		return hd, reject(ErrHeader, `typ is not "JWT"`)
	case f.kid == nil:
		return hd, reject(ErrKeyNotFound, "kid is missing")
	}
	var ok bool
	if hd.kid, ok = parseUUID(f.kid); !ok {
		// It would go into the key URL: only the form AWS uses does.
		return hd, reject(ErrKeyNotFound, "kid %q is not a lowercase UUID", truncate(string(f.kid)))
	}
	switch {
	case f.signer == nil:
		return hd, reject(ErrSigner, "signer is missing")
	case indexOf(v.signers, f.signer) < 0:
		return hd, reject(ErrSigner, "signer %q is not one of %q", truncate(string(f.signer)), v.signers)
	case f.iss == nil:
		return hd, reject(ErrIssuer, "iss is missing from the header, want %q", v.issuer)
	case string(f.iss) != v.issuer:
		return hd, reject(ErrIssuer, "header iss %q, want %q", truncate(string(f.iss)), v.issuer)
	case f.client == nil:
		return hd, reject(ErrClient, "client is missing")
	}
	if i := indexOf(v.clientIDs, f.client); i >= 0 {
		hd.client = v.clientIDs[i] // no copy of the header's bytes
	} else if v.skipClientID {
		hd.client = string(f.client)
	} else {
		return hd, reject(ErrClient, "client %q is not one of %q", truncate(string(f.client)), v.clientIDs)
	}
	if f.exp == nil {
		return hd, reject(ErrClaim, "exp is missing from the header")
	}
	if hd.exp, ok = parseNumericDate(string(f.exp)); !ok {
		return hd, reject(ErrClaim, "header exp is out of range")
	}
	return hd, nil
}

// scanSimpleALBHeader reads an object whose members are the load
// balancer's, at most once each, with string values free of escapes and
// control bytes and exp an integer. ok is false for any other input.
func scanSimpleALBHeader(raw []byte) (f albHeaderFields, ok bool) {
	i := skipWS(raw, 1)
	if i < len(raw) && raw[i] == '}' {
		return f, skipWS(raw, i+1) == len(raw)
	}
	for {
		name, j, ok := plainString(raw, i)
		if !ok {
			return f, false
		}
		j = skipWS(raw, j)
		if j >= len(raw) || raw[j] != ':' {
			return f, false
		}
		j = skipWS(raw, j+1)
		var value []byte
		var k int
		if string(name) == "exp" {
			value, k, ok = plainInteger(raw, j)
		} else {
			value, k, ok = plainString(raw, j)
		}
		if !ok {
			return f, false
		}
		// Assigned field by field: a pointer to the field would make
		// the decoded header escape to the heap.
		dup := false
		switch string(name) {
		case "alg":
			dup, f.alg = f.alg != nil, value
		case "typ":
			dup, f.typ = f.typ != nil, value
		case "kid":
			dup, f.kid = f.kid != nil, value
		case "iss":
			dup, f.iss = f.iss != nil, value
		case "client":
			dup, f.client = f.client != nil, value
		case "signer":
			dup, f.signer = f.signer != nil, value
		case "exp":
			dup, f.exp = f.exp != nil, value
		default:
			return f, false
		}
		if dup {
			return f, false
		}
		i = skipWS(raw, k)
		if i >= len(raw) {
			return f, false
		}
		switch raw[i] {
		case ',':
			i = skipWS(raw, i+1)
		case '}':
			return f, skipWS(raw, i+1) == len(raw)
		default:
			return f, false
		}
	}
}

// plainInteger reads an optionally negative run of digits at b[i] that
// ends the JSON number, and returns it and the index after it.
func plainInteger(b []byte, i int) ([]byte, int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == start || (b[start] == '0' && j-start > 1) {
		return nil, 0, false
	}
	if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		return nil, 0, false // a float: the full parser's
	}
	return b[i:j:j], j, true
}

// parseALBHeaderJSON is the full parser, for headers the fast path
// declines: escapes, other value types, duplicate or unknown members, bad
// JSON.
func parseALBHeaderJSON(raw []byte) (albHeaderFields, error) {
	var f albHeaderFields
	// Decoding into a map checks the syntax and rejects duplicate names.
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return f, reject(ErrMalformed, "header: %v", err)
	}
	str := func(name string) ([]byte, error) {
		v, ok := all[name]
		if !ok || string(v) == "null" {
			return nil, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, reject(ErrMalformed, "header %s is not a string", name)
		}
		return []byte(s), nil
	}
	var err error
	if f.alg, err = str("alg"); err != nil {
		return f, err
	}
	if f.alg == nil || string(f.alg) != "ES256" {
		return f, nil // checkHeaderFields says why
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names) // the same error for the same header
	for _, name := range names {
		switch name {
		case "alg", "typ", "kid", "iss", "client", "signer", "exp":
		default:
			return f, reject(ErrHeader, "header parameter %q is not accepted", truncate(name))
		}
	}
	for _, m := range []struct {
		name string
		dst  *[]byte
	}{{"typ", &f.typ}, {"kid", &f.kid}, {"iss", &f.iss}, {"client", &f.client}, {"signer", &f.signer}} {
		if *m.dst, err = str(m.name); err != nil {
			return f, err
		}
	}
	if v, ok := all["exp"]; ok && string(v) != "null" {
		if c := v[0]; c != '-' && (c < '0' || c > '9') {
			return f, reject(ErrMalformed, "header exp is not a number")
		}
		f.exp = v
	}
	return f, nil
}

// indexOf returns the index of b in list, or -1, without copying b.
func indexOf(list []string, b []byte) int {
	for i, s := range list {
		if s == string(b) {
			return i
		}
	}
	return -1
}

// parseUUID parses a UUID in its canonical lowercase form,
// 8-4-4-4-12 hexadecimal digits.
func parseUUID(s []byte) (id [16]byte, ok bool) {
	if len(s) != 36 {
		return id, false
	}
	for i, j := 0, 0; i < len(s); {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return id, false
			}
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return id, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// formatUUID is the inverse of parseUUID.
func formatUUID(id [16]byte) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, x := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return string(b)
}

// verifyES256 checks sig, r||s, over digest with crypto/ecdsa, which
// rejects r or s of zero or not below the group order. The DER form
// VerifyASN1 takes is built on the stack.
func verifyES256(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	if len(sig) != es256SignatureBytes {
		return false
	}
	var buf [72]byte // SEQUENCE of two INTEGERs of at most 33 bytes
	der := append(buf[:0], 0x30, 0)
	der = appendASN1Int(der, sig[:32])
	der = appendASN1Int(der, sig[32:])
	der[1] = byte(len(der) - 2)
	return ecdsa.VerifyASN1(pub, digest, der)
}

// appendASN1Int appends the DER INTEGER of the unsigned big-endian n.
func appendASN1Int(b, n []byte) []byte {
	for len(n) > 1 && n[0] == 0 {
		n = n[1:]
	}
	if n[0]&0x80 != 0 {
		return append(append(b, 0x02, byte(len(n)+1), 0), n...)
	}
	return append(append(b, 0x02, byte(len(n))), n...)
}
