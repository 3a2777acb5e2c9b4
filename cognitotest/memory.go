package cognitotest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// inMemoryHost is the host of an in-memory pool's URL. The .invalid domain
// never resolves (RFC 6761), so a client other than the pool's own fails
// instead of reaching something real.
const inMemoryHost = "cognitotest.invalid"

// InMemory makes the pool serve without a network: no listener, no TLS, no
// socket. [Pool.URL] is then https://cognitotest.invalid, and only the
// client [Pool.HTTPClient] returns reaches it: its http.RoundTripper runs
// the pool's handler (or the one [Pool.SetJWKSHandler] set) in a goroutine
// of its own for each request and streams the response body through a
// pipe. A handler that trickles, never ends or never answers, and the
// cancellation of the request's context (seen by the handler as
// r.Context() ending, and by the client as a failed read), behave as over a
// connection; requests are counted as over one (request bodies are not
// passed on: the pool serves GETs). A request for another host fails as an
// unreachable host would; [Pool.Close] hangs up the requests in flight, and
// every request after it fails as a refused connection.
//
// It is meant for tests in a testing/synctest bubble, where time is fake
// and moves only while every goroutine of the bubble is blocked on
// something inside it. A goroutine waiting on a socket is not, so fake time
// could not reach a fetch timeout while a real server hangs; in memory it
// can. Create the pool inside the bubble that uses it (its channels belong
// to the bubble they are made in), or outside any bubble.
func InMemory() Option { return func(p *Pool) { p.inMemory = true } }

// memoryTransport is the http.RoundTripper of an in-memory pool.
type memoryTransport struct{ p *Pool }

func (m memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// A RoundTripper must close the request body, even on errors.
		defer req.Body.Close()
	}
	if req.URL.Scheme != "https" || req.URL.Host != inMemoryHost {
		return nil, fmt.Errorf("cognitotest: dial %s://%s: no route to host (an in-memory pool serves only https://%s)",
			req.URL.Scheme, req.URL.Host, inMemoryHost)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}

	// clientCtx ends when the client's context does or when it closes the
	// body: as with a connection, the handler then sees r.Context() end and
	// its writes fail.
	clientCtx, hangUp := context.WithCancel(req.Context())
	pr, pw := io.Pipe()
	// Closing the writing end makes the client's reads fail with the
	// context's error (closing the reading end would not).
	stop := context.AfterFunc(clientCtx, func() { pw.CloseWithError(clientCtx.Err()) })

	handlerCtx, handlerDone := context.WithCancelCause(clientCtx)
	r := req.Clone(handlerCtx)
	r.RequestURI = req.URL.RequestURI()
	r.Host = req.URL.Host
	r.Body = http.NoBody
	r.ContentLength = 0
	r.RemoteAddr = "127.0.0.1:1"

	w := &memoryResponse{
		header: make(http.Header),
		pw:     pw,
		ready:  make(chan roundTrip, 1),
		resp: http.Response{
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			ContentLength: -1,
			Request:       req,
			Body:          &memoryBody{pr: pr, hangUp: hangUp, stop: stop},
		},
	}
	if !m.p.track(w, handlerDone) {
		hangUp()
		return nil, fmt.Errorf("cognitotest: dial %s: connection refused (%w)", req.URL.Host, errPoolClosed)
	}
	go w.serve(m.p, r, clientCtx, handlerDone)

	select {
	case rt := <-w.ready:
		if rt.err != nil {
			hangUp()
		}
		return rt.resp, rt.err
	case <-req.Context().Done():
		hangUp()
		return nil, req.Context().Err()
	}
}

type roundTrip struct {
	resp *http.Response
	err  error
}

// memoryResponse is the http.ResponseWriter (and http.Flusher) handlers of
// an in-memory pool write to. Like any ResponseWriter it is for the
// handler's goroutine only.
type memoryResponse struct {
	header      http.Header
	pw          *io.PipeWriter
	ready       chan roundTrip // the response head, or why there is none; buffered
	resp        http.Response
	wroteHeader bool
}

// errPoolClosed is why requests fail once the pool is closed.
var errPoolClosed = errors.New("the pool is closed")

// track registers a request in flight, for Close to hang up; it reports
// false once the pool is closed.
func (p *Pool) track(w *memoryResponse, hangUp context.CancelCauseFunc) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.live == nil {
		p.live = make(map[*memoryResponse]context.CancelCauseFunc)
	}
	p.live[w] = hangUp
	return true
}

func (w *memoryResponse) serve(p *Pool, r *http.Request, client context.Context, done context.CancelCauseFunc) {
	defer func() {
		p.mu.Lock()
		delete(p.live, w)
		p.mu.Unlock()
		done(nil) // as in net/http, r.Context() ends when the handler returns
	}()
	defer func() {
		v := recover()
		if v == nil && context.Cause(r.Context()) == errPoolClosed {
			v = errPoolClosed
		}
		if v != nil {
			// net/http drops the connection after a handler's panic, and
			// Server.Close drops every connection.
			if !w.wroteHeader {
				w.wroteHeader = true
				w.ready <- roundTrip{err: fmt.Errorf("cognitotest: connection closed: %v", v)}
			}
			w.pw.CloseWithError(io.ErrUnexpectedEOF)
			return
		}
		w.WriteHeader(http.StatusOK) // no-op if the handler wrote one
		// A handler that stopped because the client gave up did not finish
		// its body: the client's read fails, it does not see an end.
		w.pw.CloseWithError(cmp.Or(client.Err(), io.EOF))
	}()
	p.serve(w, r)
}

func (w *memoryResponse) Header() http.Header { return w.header }

// WriteHeader sends the response head; the body follows through the pipe.
// Like net/http, it ignores a second call and panics on an invalid code.
func (w *memoryResponse) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.resp.StatusCode = code
	w.resp.Status = strconv.Itoa(code) + " " + http.StatusText(code)
	w.resp.Header = w.header.Clone()
	w.ready <- roundTrip{resp: &w.resp}
}

// Write sends b to the client, blocking until the client has read it (a
// connection with no buffer): a client that stops reading holds the
// handler, and one that hangs up or gives up fails the write.
func (w *memoryResponse) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		if w.header.Get("Content-Type") == "" {
			w.header.Set("Content-Type", http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	return w.pw.Write(b)
}

// Flush sends the head if it is not sent yet; the body is never buffered.
func (w *memoryResponse) Flush() { w.WriteHeader(http.StatusOK) }

// memoryBody is the client's end of the response body.
type memoryBody struct {
	pr     *io.PipeReader
	hangUp context.CancelFunc
	stop   func() bool
	once   sync.Once
}

func (b *memoryBody) Read(p []byte) (int, error) {
	n, err := b.pr.Read(p)
	if errors.Is(err, io.ErrClosedPipe) {
		err = errors.New("http: read on closed response body")
	}
	return n, err
}

// Close hangs up: the handler's context ends and its writes fail.
func (b *memoryBody) Close() error {
	b.once.Do(func() {
		b.stop()
		b.pr.Close()
		b.hangUp()
	})
	return nil
}
