package cognito

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4/json"
)

// The reference claims decoder: go-jose's JSON fork (duplicates rejected,
// case-sensitive names) decoding into a struct, with the same claim types.
// It was the production decoder before the hand-written scanner; the fuzz
// targets below check that the two agree on every input.

type refPayload struct {
	Sub             *string   `json:"sub"`
	Iss             *string   `json:"iss"`
	TokenUse        *string   `json:"token_use"`
	ClientID        *string   `json:"client_id"`
	Aud             refAud    `json:"aud"`
	Username        *string   `json:"username"`
	CognitoUsername *string   `json:"cognito:username"`
	Groups          *[]string `json:"cognito:groups"`
	Scope           *string   `json:"scope"`
	Email           *string   `json:"email"`
	EmailVerified   refBool   `json:"email_verified"`
	Exp             *refDate  `json:"exp"`
	Nbf             *refDate  `json:"nbf"`
	Iat             *refDate  `json:"iat"`
	AuthTime        *refDate  `json:"auth_time"`
	JTI             *string   `json:"jti"`
	OriginJTI       *string   `json:"origin_jti"`
	EventID         *string   `json:"event_id"`
	ACR             *string   `json:"acr"`
	AMR             *[]string `json:"amr"`
}

var errRefType = errors.New("wrong claim type")

type refDate struct{ numericDate }

func (d *refDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errRefType
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.Abs(f) >= maxNumericDate {
		return errRefType
	}
	sec, frac := math.Modf(f)
	d.sec, d.nsec = int64(sec), int64(math.Round(frac*1e9))
	return nil
}

type refAud struct {
	present bool
	values  []string
}

func (a *refAud) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	a.present = true
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errRefType
		}
		a.values = []string{s}
	case '[':
		if err := json.Unmarshal(b, &a.values); err != nil {
			return errRefType
		}
	default:
		return errRefType
	}
	return nil
}

type refBool struct{ present, value bool }

func (f *refBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = refBool{true, true}
	case "false", `"false"`:
		*f = refBool{true, false}
	case "null":
	default:
		return errRefType
	}
	return nil
}

// decodeReference returns nil error for a payload the verifier must accept
// as JSON, ErrMalformed or ErrClaim otherwise.
func decodeReference(data []byte) (*refPayload, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrMalformed
	}
	var p refPayload
	if err := json.Unmarshal(data, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) || errors.Is(err, errRefType) {
			return nil, ErrClaim
		}
		return nil, ErrMalformed
	}
	return &p, nil
}

// view is the decoded claims in one comparable form.
type view struct {
	Strings       map[string]string
	Dates         map[string]numericDate
	Aud, Groups   []string
	AMR           []string
	HasAud        bool
	HasGroups     bool
	HasAMR        bool
	EmailVerified bool
}

func refView(p *refPayload) view {
	v := view{Strings: map[string]string{}, Dates: map[string]numericDate{}}
	for name, s := range map[string]*string{
		"sub": p.Sub, "iss": p.Iss, "token_use": p.TokenUse, "client_id": p.ClientID, "username": p.Username,
		"cognito:username": p.CognitoUsername, "scope": p.Scope, "email": p.Email, "jti": p.JTI,
		"origin_jti": p.OriginJTI, "event_id": p.EventID, "acr": p.ACR,
	} {
		if s != nil {
			v.Strings[name] = *s
		}
	}
	for name, d := range map[string]*refDate{"exp": p.Exp, "nbf": p.Nbf, "iat": p.Iat, "auth_time": p.AuthTime} {
		if d != nil {
			v.Dates[name] = d.numericDate
		}
	}
	v.HasAud, v.Aud = p.Aud.present, p.Aud.values
	if p.Groups != nil {
		v.HasGroups, v.Groups = true, *p.Groups
	}
	if p.AMR != nil {
		v.HasAMR, v.AMR = true, *p.AMR
	}
	v.EmailVerified = p.EmailVerified.value
	return v
}

func scanView(sc *scanned) view {
	v := view{Strings: map[string]string{}, Dates: map[string]numericDate{}}
	for name, f := range map[string]struct {
		bit uint32
		s   string
	}{
		"sub": {cSub, sc.sub}, "iss": {cIss, sc.iss}, "token_use": {cTokenUse, sc.tokenUse},
		"client_id": {cClientID, sc.clientID}, "username": {cUsername, sc.username},
		"cognito:username": {cCognitoUsername, sc.cognitoUsername}, "scope": {cScope, sc.scope},
		"email": {cEmail, sc.email}, "jti": {cJTI, sc.jti}, "origin_jti": {cOriginJTI, sc.originJTI},
		"event_id": {cEventID, sc.eventID}, "acr": {cACR, sc.acr},
	} {
		if sc.has&f.bit != 0 {
			v.Strings[name] = f.s
		}
	}
	for name, f := range map[string]struct {
		bit uint32
		d   numericDate
	}{"exp": {cExp, sc.exp}, "nbf": {cNbf, sc.nbf}, "iat": {cIat, sc.iat}, "auth_time": {cAuthTime, sc.authTime}} {
		if sc.has&f.bit != 0 {
			v.Dates[name] = f.d
		}
	}
	if sc.has&cAud != 0 {
		v.HasAud, v.Aud = true, sc.arena[sc.audFrom:sc.audTo]
	}
	if sc.has&cGroups != 0 {
		v.HasGroups, v.Groups = true, sc.arena[sc.groupsFrom:sc.groupsTo]
	}
	if sc.has&cAMR != 0 {
		v.HasAMR, v.AMR = true, sc.arena[sc.amrFrom:sc.amrTo]
	}
	v.EmailVerified = sc.emailVerified
	return v
}

func equalViews(a, b view) bool {
	eqList := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if len(a.Strings) != len(b.Strings) || len(a.Dates) != len(b.Dates) {
		return false
	}
	for k, s := range a.Strings {
		if t, ok := b.Strings[k]; !ok || s != t {
			return false
		}
	}
	for k, d := range a.Dates {
		if e, ok := b.Dates[k]; !ok || d != e {
			return false
		}
	}
	return a.HasAud == b.HasAud && a.HasGroups == b.HasGroups && a.HasAMR == b.HasAMR && eqList(a.Aud, b.Aud) &&
		eqList(a.Groups, b.Groups) && eqList(a.AMR, b.AMR) && a.EmailVerified == b.EmailVerified
}

// compareDecoders fails t when the scanner and the reference disagree on
// payload: both accept with the same values, or both reject.
func compareDecoders(t *testing.T, payload string) {
	t.Helper()
	var store [8]string
	sc := scanned{arena: store[:0]}
	fastErr := scanClaims(payload, &sc)
	ref, refErr := decodeReference([]byte(payload))
	switch {
	case fastErr == nil && refErr == nil:
		if a, b := scanView(&sc), refView(ref); !equalViews(a, b) {
			t.Fatalf("values differ for %q:\nscanner   %+v\nreference %+v", payload, a, b)
		}
	case fastErr != nil && refErr != nil:
		// Both reject. Where the JSON itself is broken (syntax, depth,
		// duplicates), both must say so. (The reverse may differ: go-jose
		// stops at a wrongly typed date before it sees a later duplicate.)
		if errors.Is(refErr, ErrMalformed) && !errors.Is(fastErr, ErrMalformed) {
			t.Fatalf("reference says malformed, scanner says %v, for %q", fastErr, payload)
		}
	default:
		t.Fatalf("disagree on %q: scanner %v, reference %v", payload, fastErr, refErr)
	}
}

var payloadSeeds = []string{
	`{}`, ` { } `, `{"sub":"s"}`, `{"sub":null}`, `{"sub":1}`, `{"sub":"a","sub":"b"}`,
	`{"s\u0075b":"x","sub":"y"}`, `{"sub":"\ud800"}`, `{"sub":"\ud83d\ude00"}`, `{"sub":"a\"b\\c\/d\b\f\n\r\t"}`,
	`{"exp":1.5}`, `{"exp":-0}`, `{"exp":1e400}`, `{"exp":"1"}`, `{"exp":1e10}`, `{"exp":99999999999}`, `{"exp":01}`,
	`{"exp":1.}`, `{"exp":.5}`, `{"exp":-}`, `{"exp":1e}`, `{"exp":1E+2}`, `{"aud":"a"}`, `{"aud":["a","b"]}`,
	`{"aud":[]}`, `{"aud":[1]}`, `{"aud":["a",1]}`, `{"aud":{}}`, `{"aud":null}`, `{"cognito:groups":["a"]}`,
	`{"cognito:groups":"a"}`, `{"cognito:groups":[["a"]]}`, `{"cognito:groups":["a",{"b":[1,2]}]}`,
	`{"email_verified":true}`, `{"email_verified":"true"}`, `{"email_verified":"yes"}`, `{"email_verified":1}`,
	`{"x":[1,{"y":[true,false,null]}],"x2":"\u00e9"}`, `{"x":1,"x":2}`, `{"Sub":"a","sub":"b"}`, `[]`, `null`, `"x"`,
	`{"a":1}x`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x01"}`,
	`{"a":"\u12"}`, `{"a":"\q"}`, "{\"a\":1}\n", `{"sub":"é"}`, `{"exp":1,"nbf":2,"iat":3,"auth_time":4}`,
	`{"scope":"a b","cognito:groups":["g"],"aud":["c"],"client_id":"c","token_use":"access","iss":"i"}`,
	`{"acr":"urn:cognito:loa:2","amr":["pwd","otp","mfa"]}`, `{"acr":2}`, `{"acr":null}`, `{"acr":["a"]}`,
	`{"amr":"mfa"}`, `{"amr":[]}`, `{"amr":null}`, `{"amr":["pwd",1]}`, `{"amr":[["pwd"]]}`, `{"amr":{}}`,
	`{"amr":["a"],"amr":["b"]}`, `{"acr":"a","acr":"b"}`, `{"amr":["a"],"cognito:groups":["g"],"aud":["c"]}`,
	`{"a":[` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `]}`,
	`{"a":[` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `]}`,
}

func TestScannerMatchesReference(t *testing.T) {
	for _, p := range payloadSeeds {
		compareDecoders(t, p)
	}
	// Many distinct unknown claims (past the inline duplicate table) and a
	// late duplicate among them.
	var b strings.Builder
	b.WriteString(`{`)
	for i := range 40 {
		b.WriteString(`"c` + strconv.Itoa(i) + `":1,`)
	}
	compareDecoders(t, b.String()+`"end":1}`)
	compareDecoders(t, b.String()+`"c3":1}`)
}

func FuzzScanClaims(f *testing.F) {
	for _, p := range payloadSeeds {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		if !utf8.ValidString(payload) {
			return // Verify rejects it before scanning
		}
		compareDecoders(t, payload)
	})
}

// Time returns the date as a time.
func (d *refDate) Time() time.Time { return d.numericDate.time() }

// Values returns aud's strings and whether aud was present and not null.
func (a refAud) Values() ([]string, bool) { return a.values, a.present }
