package cognito

import (
	"bytes"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/go-jose/go-jose/v4/json"
)

// This file parses the compact JWS framing and the header, on the hot path:
// no allocation for the header a Cognito token carries.

// b64 is strict base64url without padding: a character whose unused low
// bits are set is an error, so each byte string has one encoding.
var b64 = base64.RawURLEncoding.Strict()

// bytesOf returns the bytes of s without copying. The result must only be
// read: it is passed to decoders and hashes that never write their input.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// decodeInto decodes the base64url segment seg into buf when it fits, or
// into a new slice.
func decodeInto(buf []byte, seg string) ([]byte, error) {
	if n := b64.DecodedLen(len(seg)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64.Decode(buf, bytesOf(seg))
	return buf[:n], err
}

// split checks the compact JWS framing and returns the positions of the two
// dots. The segments' alphabet is checked by the strict base64url decoding
// of each, except for CR and LF, which Go's decoder silently skips: those
// are refused here.
func split(token string) (h, p int, err error) {
	if token == "" {
		return 0, 0, reject(ErrMalformed, "empty token")
	}
	h = strings.IndexByte(token, '.')
	if h < 0 {
		return 0, 0, reject(ErrMalformed, "1 segment, want 3")
	}
	p = strings.IndexByte(token[h+1:], '.')
	if p < 0 {
		return 0, 0, reject(ErrMalformed, "2 segments, want 3")
	}
	p += h + 1
	if strings.IndexByte(token[p+1:], '.') >= 0 {
		return 0, 0, reject(ErrMalformed, "more than three segments (JWE and JSON serialization are not accepted)")
	}
	if h == 0 || p == h+1 {
		return 0, 0, reject(ErrMalformed, "empty header or payload")
	}
	for _, c := range []byte{'\r', '\n'} {
		if i := strings.IndexByte(token, c); i >= 0 {
			return 0, 0, notBase64(token, "token")
		}
	}
	return h, p, nil
}

// notBase64 explains a segment that failed to decode: the usual causes are
// a scheme left in front of the token and whitespace around it, which a
// bare offset would hide.
func notBase64(token, segment string) error {
	if scheme, _, ok := strings.Cut(token, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return reject(ErrMalformed, `the token starts with "Bearer ": pass the token alone (cognito.BearerToken strips the scheme)`)
	}
	if i := strings.IndexAny(token, " \t\r\n"); i >= 0 {
		where := "inside"
		switch {
		case i == 0:
			where = "at the start of"
		case strings.TrimRight(token[i:], " \t\r\n") == "":
			where = "at the end of"
		}
		return reject(ErrMalformed, "whitespace (%#02x) at offset %d, %s the token: trim it (a newline from a file or a shell?)", token[i], i, where)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; !(c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return reject(ErrMalformed, "%s is not base64url: byte %#02x at offset %d of the token (padding, or the standard alphabet's + or /, are not accepted)", segment, c, i)
		}
	}
	return reject(ErrMalformed, "%s is not canonical base64url (its last character has unused bits set, or its length is impossible)", segment)
}

// parseHeader checks the decoded header and returns its kid. Every
// parameter other than alg, kid and typ is rejected: jwk, jku, x5u and x5c
// could point at keys the token chose, crit and b64 change what is signed,
// cty asks for nested processing, and RFC 7515 §5.2 forbids ignoring what
// we do not understand.
//
// Headers of plain string members (what Cognito sends) take the fast path;
// anything else is judged by the full JSON parser.
func parseHeader(raw []byte) ([]byte, error) {
	if i := skipWS(raw, 0); i == len(raw) || raw[i] != '{' || !utf8.Valid(raw) {
		return nil, reject(ErrMalformed, "header is not a JSON object")
	} else if alg, kid, typ, ok := scanSimpleHeader(raw[i:]); ok {
		return checkHeader(alg, kid, typ)
	}
	// A copy, so that the caller's stack buffer does not escape.
	return parseHeaderJSON(bytes.Clone(raw))
}

// scanSimpleHeader reads an object whose members are alg, kid and typ at
// most once each, with string values free of escapes and control bytes.
// ok is false for any other input. A nil value means the member is absent.
func scanSimpleHeader(raw []byte) (alg, kid, typ []byte, ok bool) {
	i := skipWS(raw, 1)
	if i < len(raw) && raw[i] == '}' {
		return nil, nil, nil, skipWS(raw, i+1) == len(raw)
	}
	for {
		name, j, ok := plainString(raw, i)
		if !ok {
			return nil, nil, nil, false
		}
		j = skipWS(raw, j)
		if j >= len(raw) || raw[j] != ':' {
			return nil, nil, nil, false
		}
		value, k, ok := plainString(raw, skipWS(raw, j+1))
		if !ok {
			return nil, nil, nil, false
		}
		switch string(name) {
		case "alg":
			if alg != nil {
				return nil, nil, nil, false // duplicate
			}
			alg = value
		case "kid":
			if kid != nil {
				return nil, nil, nil, false
			}
			kid = value
		case "typ":
			if typ != nil {
				return nil, nil, nil, false
			}
			typ = value
		default:
			return nil, nil, nil, false
		}
		i = skipWS(raw, k)
		if i >= len(raw) {
			return nil, nil, nil, false
		}
		switch raw[i] {
		case ',':
			i = skipWS(raw, i+1)
		case '}':
			return alg, kid, typ, skipWS(raw, i+1) == len(raw)
		default:
			return nil, nil, nil, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string without escapes at b[i] and returns its
// content (non-nil, possibly empty) and the index after it.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// checkHeader applies the header rules to string members (nil: absent).
func checkHeader(alg, kid, typ []byte) ([]byte, error) {
	if alg == nil {
		return nil, reject(ErrAlgorithm, "alg is missing, want RS256")
	}
	if string(alg) != "RS256" {
		return nil, reject(ErrAlgorithm, "alg %q, want RS256", string(alg))
	}
	if typ != nil && !bytes.EqualFold(typ, []byte("JWT")) {
		return nil, reject(ErrHeader, `typ is not "JWT"`)
	}
	switch {
	case kid == nil:
		return nil, reject(ErrKeyNotFound, "kid is missing")
	case len(kid) == 0:
		return nil, reject(ErrKeyNotFound, "kid is empty")
	case len(kid) > maxKidBytes:
		return nil, reject(ErrMalformed, "kid longer than %d bytes", maxKidBytes)
	}
	return kid, nil
}

// parseHeaderJSON is the full parser, for headers the fast path declines:
// escapes, other value types, duplicate or unknown members, bad JSON.
func parseHeaderJSON(raw []byte) ([]byte, error) {
	// Decoding into a map checks the syntax and rejects duplicate names.
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, reject(ErrMalformed, "header: %v", err)
	}
	str := func(name string) ([]byte, bool, error) {
		v, ok := all[name]
		if !ok || string(v) == "null" {
			return nil, false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, true, err
		}
		return []byte(s), true, nil
	}
	alg, _, err := str("alg")
	if err != nil {
		return nil, reject(ErrMalformed, "alg is not a string")
	}
	if alg == nil || string(alg) != "RS256" {
		return checkHeader(alg, nil, nil)
	}
	// Sorted, so that a header with several unknown names always names
	// the same one.
	for _, name := range slices.Sorted(maps.Keys(all)) {
		switch name {
		case "alg", "kid", "typ":
		default:
			return nil, reject(ErrHeader, "header parameter %q is not accepted", truncate(name))
		}
	}
	typ, present, err := str("typ")
	if present && (err != nil || !strings.EqualFold(string(typ), "JWT")) {
		return nil, reject(ErrHeader, `typ is not "JWT"`)
	}
	kid, _, err := str("kid")
	if err != nil {
		return nil, reject(ErrMalformed, "kid is not a string")
	}
	return checkHeader(alg, kid, typ)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
