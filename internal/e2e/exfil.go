package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Listener is a loopback TCP listener standing in for an exfiltration
// target: it records every connection and the first bytes sent on it, and
// answers like a tiny HTTP server so clients such as curl finish quickly.
type Listener struct {
	// Now is the clock for recording; default time.Now.
	Now func() time.Time

	ln    net.Listener
	mu    sync.Mutex
	conns []Conn
	wg    sync.WaitGroup
}

// Conn is one recorded connection.
type Conn struct {
	Time   time.Time
	Remote string
	// Data is what the peer sent, up to maxExfilRead bytes or until it
	// paused for exfilReadWait.
	Data []byte
}

const (
	maxExfilRead  = 64 << 10
	exfilReadWait = 2 * time.Second
)

// Listen starts a Listener on 127.0.0.1 at a port chosen by the kernel.
func Listen() (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("exfil listener: %w", err)
	}
	l := &Listener{ln: ln}
	l.wg.Add(1)
	go l.serve()
	return l, nil
}

// Addr returns host:port.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Port returns the listening port.
func (l *Listener) Port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// URL returns http://127.0.0.1:PORT followed by path.
func (l *Listener) URL(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(l.Port()) + path
}

func (l *Listener) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Listener) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary accept errors (EMFILE, ...): back off and go on.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		rec := Conn{Time: l.now(), Remote: c.RemoteAddr().String()}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.Close()
			rec.Data = readSome(c)
			// Record before answering: the peer may finish, and the test
			// look, as soon as it has the answer.
			l.mu.Lock()
			l.conns = append(l.conns, rec)
			l.mu.Unlock()
			// Answer HTTP-ish; a non-HTTP peer just gets bytes it ignores.
			_ = c.SetWriteDeadline(time.Now().Add(exfilReadWait))
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
		}()
	}
}

// readSome reads until maxExfilRead bytes, EOF, the end of an HTTP request
// head without a body, or a pause of exfilReadWait.
func readSome(c net.Conn) []byte {
	var buf []byte
	tmp := make([]byte, 4096)
	for len(buf) < maxExfilRead {
		_ = c.SetReadDeadline(time.Now().Add(exfilReadWait))
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil || requestComplete(buf) {
			break
		}
	}
	return buf
}

// requestComplete reports whether buf holds a complete HTTP request: a
// head, and the body its Content-Length or chunked encoding announces.
func requestComplete(buf []byte) bool {
	head, body, ok := strings.Cut(string(buf), "\r\n\r\n")
	if !ok {
		return false
	}
	for _, line := range strings.Split(strings.ToLower(head), "\r\n")[1:] {
		name, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(name) {
		case "content-length":
			n, err := strconv.Atoi(val)
			return err != nil || len(body) >= n
		case "transfer-encoding":
			return strings.HasSuffix(body, "0\r\n\r\n")
		}
	}
	return true
}

// Conns returns every connection recorded so far.
func (l *Listener) Conns() []Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Conn(nil), l.conns...)
}

// ConnsSince returns the connections accepted at or after t.
func (l *Listener) ConnsSince(t time.Time) []Conn {
	var out []Conn
	for _, c := range l.Conns() {
		if !c.Time.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// Close stops listening and waits for open connections to be recorded.
func (l *Listener) Close() error {
	err := l.ln.Close()
	l.wg.Wait()
	return err
}
