package cognito

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the claims decoder of the hot path: a strict, single-pass
// JSON scanner over the verified payload. It accepts exactly what go-jose's
// JSON fork accepts (RFC 8259 syntax, nesting up to 10,000, duplicate names
// rejected, names matched case-sensitively) and decodes only the claims the
// verifier reads, as substrings of the payload where no escape forces a
// copy. FuzzScanClaims checks it against go-jose's decoder.

// maxDepth is go-jose's JSON nesting limit.
const maxDepth = 10000

// Bits of scanned.has and scanned.seen, one per claim the verifier reads.
const (
	cSub = 1 << iota
	cIss
	cTokenUse
	cClientID
	cAud
	cUsername
	cCognitoUsername
	cGroups
	cScope
	cEmail
	cEmailVerified
	cExp
	cNbf
	cIat
	cAuthTime
	cJTI
	cOriginJTI
	cEventID
	cACR
	cAMR
)

// claimBit returns the bit of a claim the verifier reads, or 0.
func claimBit(name string) uint32 {
	switch name {
	case "sub":
		return cSub
	case "iss":
		return cIss
	case "token_use":
		return cTokenUse
	case "client_id":
		return cClientID
	case "aud":
		return cAud
	case "username":
		return cUsername
	case "cognito:username":
		return cCognitoUsername
	case "cognito:groups":
		return cGroups
	case "scope":
		return cScope
	case "email":
		return cEmail
	case "email_verified":
		return cEmailVerified
	case "exp":
		return cExp
	case "nbf":
		return cNbf
	case "iat":
		return cIat
	case "auth_time":
		return cAuthTime
	case "jti":
		return cJTI
	case "origin_jti":
		return cOriginJTI
	case "event_id":
		return cEventID
	case "acr":
		return cACR
	case "amr":
		return cAMR
	}
	return 0
}

// scanned is what scanClaims extracts. A claim is in has when present and
// not null. Lists are appended to the arena (the Claims' inline storage)
// and recorded as index ranges.
type scanned struct {
	has, seen uint32

	sub, iss, tokenUse, clientID, username, cognitoUsername string
	scope, email, jti, originJTI, eventID, acr              string
	emailVerified                                           bool
	exp, nbf, iat, authTime                                 numericDate

	arena                []string
	audFrom, audTo       int
	groupsFrom, groupsTo int
	amrFrom, amrTo       int

	unknown  [16]string // names of other claims, for duplicate detection
	nUnknown int
	more     map[string]bool // further names, past 16

	typeErr error // first claim of a wrong JSON type
}

// numericDate is an RFC 7519 NumericDate: seconds since the epoch, possibly
// fractional (kept to the nanosecond, not truncated).
type numericDate struct{ sec, nsec int64 }

// maxNumericDate bounds time claims (about the year 5138): larger values
// are garbage, and near 2^63 they would wrap in time.Unix.
const maxNumericDate = 1e11

func parseNumericDate(lit string) (numericDate, bool) {
	// Cognito's dates are integers of ten digits: no float parsing. Eleven
	// characters keep |n| below maxNumericDate.
	if len(lit) > 0 && len(lit) <= 11 {
		var n int64
		digits := lit
		if lit[0] == '-' {
			digits = lit[1:]
		}
		ok := len(digits) > 0
		for i := 0; i < len(digits) && ok; i++ {
			c := digits[i]
			ok = c >= '0' && c <= '9'
			n = n*10 + int64(c-'0')
		}
		if ok {
			if lit[0] == '-' {
				n = -n
			}
			return numericDate{sec: n}, true
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.Abs(f) >= maxNumericDate {
		return numericDate{}, false
	}
	sec, frac := math.Modf(f)
	return numericDate{int64(sec), int64(math.Round(frac * 1e9))}, true
}

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("JSON nested too deeply")
)

type scanner struct {
	s string
	i int
}

func (d *scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *scanner) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// str reads a JSON string at d.i and returns its value: a substring of the
// input when it has no escape.
func (d *scanner) str() (string, error) {
	if d.peek() != '"' {
		return "", errSyntax
	}
	start := d.i + 1
	for i := start; i < len(d.s); i++ {
		switch c := d.s[i]; {
		case c == '"':
			d.i = i + 1
			return d.s[start:i], nil
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

// strEscaped decodes a string with escapes the way encoding/json does: a
// lone surrogate becomes U+FFFD.
func (d *scanner) strEscaped(start int) (string, error) {
	b := make([]byte, 0, 32)
	for i := start; i < len(d.s); {
		c := d.s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d.s) {
			return "", errSyntax
		}
		switch e := d.s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d.s, i+2)
			if !ok {
				return "", errSyntax
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(d.s, i+2); ok && i+1 < len(d.s) && d.s[i] == '\\' && d.s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", errSyntax
		}
		i += 2
	}
	return "", errSyntax
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[at:at+4], 16, 16)
	return rune(n), err == nil
}

// number reads a JSON number and returns its literal.
func (d *scanner) number() (string, error) {
	start := d.i
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return "", errSyntax
	}
	if d.peek() == '.' {
		d.i++
		if n := d.digits(); n == 0 {
			return "", errSyntax
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if n := d.digits(); n == 0 {
			return "", errSyntax
		}
	}
	return d.s[start:d.i], nil
}

func (d *scanner) digits() int {
	n := 0
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

func (d *scanner) literal(word string) bool {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

// skip validates and passes over any JSON value; depth is the nesting of
// the container holding it.
func (d *scanner) skip(depth int) error {
	switch c := d.peek(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := d.number()
		return err
	case c == 't':
		return d.must(d.literal("true"))
	case c == 'f':
		return d.must(d.literal("false"))
	case c == 'n':
		return d.must(d.literal("null"))
	case c == '[':
		if depth+1 > maxDepth {
			return errDepth
		}
		d.i++
		d.ws()
		if d.peek() == ']' {
			d.i++
			return nil
		}
		for {
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return nil
			default:
				return errSyntax
			}
		}
	case c == '{':
		if depth+1 > maxDepth {
			return errDepth
		}
		return d.object(func(string) error { return d.skip(depth + 1) })
	}
	return errSyntax
}

// object reads a JSON object at d.i, calling member for each name with d
// at the start of its value; member must consume the value.
func (d *scanner) object(member func(name string) error) error {
	if d.peek() != '{' {
		return errSyntax
	}
	d.i++
	d.ws()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		name, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if d.peek() != ':' {
			return errSyntax
		}
		d.i++
		d.ws()
		if err := member(name); err != nil {
			return err
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return errSyntax
		}
	}
}

func (d *scanner) must(ok bool) error {
	if !ok {
		return errSyntax
	}
	return nil
}

// scanClaims decodes the payload object into sc. The payload must be valid
// UTF-8 (Verify checks it first). Syntax errors and
// duplicate names are ErrMalformed at once; a claim of the wrong type is
// remembered in sc.typeErr and reported as ErrClaim once the whole object
// proved well formed (the precedence of go-jose's decoder).
func scanClaims(payload string, sc *scanned) error {
	d := scanner{s: payload}
	d.ws()
	if d.peek() != '{' {
		return reject(ErrMalformed, "payload is not a JSON object")
	}
	if err := d.object(func(name string) error { return sc.member(&d, name) }); err != nil {
		if _, ok := err.(*TokenError); ok {
			return err
		}
		return reject(ErrMalformed, "payload: %v", err)
	}
	d.ws()
	if d.i != len(d.s) {
		return reject(ErrMalformed, "payload: data after the JSON object")
	}
	if sc.typeErr != nil {
		return sc.typeErr
	}
	return nil
}

// member decodes the value of claim name.
func (sc *scanned) member(d *scanner, name string) error {
	bit := claimBit(name)
	if bit == 0 {
		if sc.seenUnknown(name) {
			return reject(ErrMalformed, "payload: duplicate claim %q", truncate(name))
		}
		if err := d.skip(1); err != nil {
			return reject(ErrMalformed, "payload: %v", err)
		}
		return nil
	}
	if sc.seen&bit != 0 {
		return reject(ErrMalformed, "payload: duplicate claim %q", name)
	}
	sc.seen |= bit
	if d.literal("null") {
		return nil // null is absent
	}
	var err error
	switch bit {
	case cExp, cNbf, cIat, cAuthTime:
		err = sc.date(d, bit, name)
	case cAud, cGroups, cAMR:
		err = sc.list(d, bit, name)
	case cEmailVerified:
		err = sc.flexBool(d)
	default:
		err = sc.string(d, bit, name)
	}
	return err
}

func (sc *scanned) wrongType(d *scanner, name, want string) error {
	if sc.typeErr == nil {
		sc.typeErr = reject(ErrClaim, "%s is not %s", name, want)
	}
	if err := d.skip(1); err != nil {
		return reject(ErrMalformed, "payload: %v", err)
	}
	return nil
}

func (sc *scanned) string(d *scanner, bit uint32, name string) error {
	if d.peek() != '"' {
		return sc.wrongType(d, name, "a string")
	}
	s, err := d.str()
	if err != nil {
		return reject(ErrMalformed, "payload: %v", err)
	}
	sc.has |= bit
	switch bit {
	case cSub:
		sc.sub = s
	case cIss:
		sc.iss = s
	case cTokenUse:
		sc.tokenUse = s
	case cClientID:
		sc.clientID = s
	case cUsername:
		sc.username = s
	case cCognitoUsername:
		sc.cognitoUsername = s
	case cScope:
		sc.scope = s
	case cEmail:
		sc.email = s
	case cJTI:
		sc.jti = s
	case cOriginJTI:
		sc.originJTI = s
	case cEventID:
		sc.eventID = s
	case cACR:
		sc.acr = s
	}
	return nil
}

func (sc *scanned) date(d *scanner, bit uint32, name string) error {
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		return sc.wrongType(d, name, "a number of seconds")
	}
	lit, err := d.number()
	if err != nil {
		return reject(ErrMalformed, "payload: %v", err)
	}
	nd, ok := parseNumericDate(lit)
	if !ok {
		if sc.typeErr == nil {
			sc.typeErr = reject(ErrClaim, "%s is out of range", name)
		}
		return nil
	}
	sc.has |= bit
	switch bit {
	case cExp:
		sc.exp = nd
	case cNbf:
		sc.nbf = nd
	case cIat:
		sc.iat = nd
	case cAuthTime:
		sc.authTime = nd
	}
	return nil
}

// list decodes aud (a string or an array of strings), cognito:groups and
// amr (arrays of strings) into the arena.
func (sc *scanned) list(d *scanner, bit uint32, name string) error {
	from := len(sc.arena)
	switch d.peek() {
	case '"':
		if bit != cAud {
			return sc.wrongType(d, name, "an array of strings")
		}
		s, err := d.str()
		if err != nil {
			return reject(ErrMalformed, "payload: %v", err)
		}
		sc.arena = append(sc.arena, s)
	case '[':
		d.i++
		d.ws()
		if d.peek() == ']' {
			d.i++
			break
		}
		for {
			d.ws()
			if d.peek() != '"' {
				// Roll back what this list added and skip the rest.
				sc.arena = sc.arena[:from]
				if sc.typeErr == nil {
					sc.typeErr = reject(ErrClaim, "%s is not an array of strings", name)
				}
				if err := d.skip(2); err != nil {
					return reject(ErrMalformed, "payload: %v", err)
				}
				return d.finishArray(sc, from)
			}
			s, err := d.str()
			if err != nil {
				return reject(ErrMalformed, "payload: %v", err)
			}
			sc.arena = append(sc.arena, s)
			d.ws()
			if c := d.peek(); c == ',' {
				d.i++
				continue
			} else if c == ']' {
				d.i++
				break
			}
			return reject(ErrMalformed, "payload: %v", errSyntax)
		}
	default:
		if bit != cAud {
			return sc.wrongType(d, name, "an array of strings")
		}
		return sc.wrongType(d, name, "a string or an array of strings")
	}
	sc.has |= bit
	switch bit {
	case cAud:
		sc.audFrom, sc.audTo = from, len(sc.arena)
	case cGroups:
		sc.groupsFrom, sc.groupsTo = from, len(sc.arena)
	default:
		sc.amrFrom, sc.amrTo = from, len(sc.arena)
	}
	return nil
}

// finishArray validates the rest of an array whose element had the wrong
// type, after that element was skipped.
func (d *scanner) finishArray(sc *scanned, from int) error {
	for {
		d.ws()
		switch d.peek() {
		case ']':
			d.i++
			sc.arena = sc.arena[:from]
			return nil
		case ',':
			d.i++
			d.ws()
			if err := d.skip(2); err != nil {
				return reject(ErrMalformed, "payload: %v", err)
			}
		default:
			return reject(ErrMalformed, "payload: %v", errSyntax)
		}
	}
}

// flexBool decodes email_verified: a boolean, or "true" / "false".
func (sc *scanned) flexBool(d *scanner) error {
	switch {
	case d.literal("true"), d.literal(`"true"`):
		sc.emailVerified = true
	case d.literal("false"), d.literal(`"false"`):
	default:
		return sc.wrongType(d, "email_verified", `a boolean or "true"/"false"`)
	}
	sc.has |= cEmailVerified
	return nil
}

func (sc *scanned) seenUnknown(name string) bool {
	if sc.more != nil {
		if sc.more[name] {
			return true
		}
		sc.more[name] = true
		return false
	}
	for _, n := range sc.unknown[:sc.nUnknown] {
		if n == name {
			return true
		}
	}
	if sc.nUnknown < len(sc.unknown) {
		sc.unknown[sc.nUnknown] = name
		sc.nUnknown++
		return false
	}
	sc.more = make(map[string]bool, 2*len(sc.unknown))
	for _, n := range sc.unknown {
		sc.more[n] = true
	}
	sc.more[name] = true
	return false
}
