package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/cognito-verify/cognito"
)

// Everything printed for people passes through clean: a token is written
// by whoever sent it, and its claims must not drive the terminal.

// member is one name and value of a JSON object, in the token's order.
type member struct {
	name  string
	value json.RawMessage
}

// members returns the members of the JSON object obj in order.
func members(obj []byte) ([]member, error) {
	d := json.NewDecoder(bytes.NewReader(obj))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{name, v})
	}
	return out, nil
}

// writeObject prints title and the members of obj as aligned lines; a
// member named in times gets its date and its distance from now.
func writeObject(w io.Writer, title string, obj []byte, times map[string]time.Time, now time.Time) error {
	ms, err := members(obj)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range ms {
		var v bytes.Buffer
		if err := json.Compact(&v, m.value); err != nil {
			return err
		}
		line := clean(v.String())
		if t, ok := times[m.name]; ok {
			line += "  " + formatTime(t) + ", " + relative(m.name, t, now)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", clean(m.name), line)
	}
	return tw.Flush()
}

// maxShown bounds a printed value, in runes; -json prints it whole.
const maxShown = 200

// clean makes s safe and short for a terminal: runes that do not print
// are escaped, and a long s is cut.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxShown {
			fmt.Fprintf(&b, "… (%d bytes in all)", len(s))
			break
		}
		n++
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		// Control and format characters (escape sequences, bidi
		// overrides), as Go would quote them.
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// relative says how far t is from now, in the words of the claim name.
func relative(name string, t, now time.Time) string {
	d := t.Sub(now)
	switch name {
	case "exp":
		if d > 0 {
			return "expires in " + duration(d)
		}
		if d == 0 {
			return "expired just now"
		}
		return "expired " + duration(-d) + " ago"
	case "nbf":
		if d > 0 {
			return "valid in " + duration(d)
		}
	default:
		if d > 0 {
			return "in " + duration(d) + ", in the future"
		}
	}
	return duration(-d) + " ago"
}

// duration writes d to the second, in its two largest units: 42s, 4m12s,
// 3h, 3h5m, 2d4h.
func duration(d time.Duration) string {
	s := int64(d / time.Second)
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s%d%s", a, ua, b, ub)
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return two(s/60, "m", s%60, "s")
	case s < 48*3600:
		return two(s/3600, "h", s%3600/60, "m")
	}
	return two(s/86400, "d", s%86400/3600, "h")
}

// timeJSON is a time claim for scripts.
type timeJSON struct {
	Time           string `json:"time"`             // RFC 3339, UTC
	SecondsFromNow int64  `json:"seconds_from_now"` // negative: in the past
	Relative       string `json:"relative"`         // as the human output says it
}

func timesJSON(times map[string]time.Time, now time.Time) map[string]timeJSON {
	out := make(map[string]timeJSON, len(times))
	for name, t := range times {
		out[name] = timeJSON{formatTime(t), int64(t.Sub(now) / time.Second), relative(name, t, now)}
	}
	return out
}

// errorJSON is an error for scripts: for a rejection, the reason (the
// library's sentinel text, such as "token is expired") and its detail.
type errorJSON struct {
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Message string `json:"message"`
}

func newErrorJSON(err error) *errorJSON {
	e := &errorJSON{Message: err.Error()}
	var te *cognito.TokenError
	switch {
	case errors.As(err, &te):
		e.Reason, e.Detail = te.Reason.Error(), te.Detail
	case errors.Is(err, cognito.ErrKeysUnavailable):
		e.Reason = cognito.ErrKeysUnavailable.Error()
	}
	return e
}

// describe is a rejection for people: the reason, then its detail.
func describe(err error) string {
	var te *cognito.TokenError
	if errors.As(err, &te) && te.Detail != "" {
		return clean(te.Reason.Error() + ": " + te.Detail)
	}
	if te != nil {
		return clean(te.Reason.Error())
	}
	return clean(err.Error())
}

// writeJSON prints v indented, without HTML escapes.
func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

// emit prints v as the command's JSON answer and returns code.
func (c *cli) emit(code int, v any) int {
	if err := writeJSON(c.stdout, v); err != nil {
		return c.outputError(err)
	}
	return code
}

// outputError reports output that could not be written: nothing was
// decided for the caller.
func (c *cli) outputError(err error) int {
	fmt.Fprintf(c.stderr, "cognito-token: writing the output: %v\n", err)
	return exitUndecided
}
