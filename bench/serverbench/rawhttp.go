package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rawPool is a minimal HTTP/1.1 client for the load generator: requests
// are encoded once, connections are kept alive, and a response is read
// as a status line, headers and a Content-Length or chunked body. On a
// machine whose cores the generator shares with the server, net/http's
// client spent about 90 µs of CPU per decision, a third of the server's
// own cost; this spends a fraction of that, so the figures say more about
// the server (the same reason wrk is written in C).
type rawPool struct {
	addr string
	mu   sync.Mutex
	idle []*rawConn
}

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func newRawPool(serverURL string) (*rawPool, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("raw client needs an http://host:port URL, got %q", serverURL)
	}
	return &rawPool{addr: u.Host}, nil
}

// rawRequest encodes a POST with a bearer token and a body.
func rawRequest(host, path, token, contentType string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, host, token, contentType, len(body))
	b.Write(body)
	return b.Bytes()
}

// do sends req on an idle or new connection and returns the status and
// the value of the response header named header (canonical form).
func (p *rawPool) do(req []byte, header string) (int, string, error) {
	c, err := p.get()
	if err != nil {
		return 0, "", err
	}
	status, value, err := c.roundTrip(req, header)
	if err != nil {
		c.c.Close()
		return 0, "", err
	}
	p.put(c)
	return status, value, nil
}

func (p *rawPool) get() (*rawConn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	nc, err := net.DialTimeout("tcp", p.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: nc, r: bufio.NewReaderSize(nc, 16<<10)}, nil
}

func (p *rawPool) put(c *rawConn) {
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *rawPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.c.Close()
	}
	p.idle = nil
}

func (c *rawConn) roundTrip(req []byte, header string) (int, string, error) {
	c.c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.c.Write(req); err != nil {
		return 0, "", err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, "", err
	}
	// "HTTP/1.1 200 OK\r\n"
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
		return 0, "", fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, "", fmt.Errorf("bad status line %q", line)
	}
	length, chunked, value := -1, false, ""
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, "", err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := strings.Cut(strings.TrimRight(string(line), "\r\n"), ":")
		if !ok {
			return 0, "", fmt.Errorf("bad header line %q", line)
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.EqualFold(k, "Content-Length"):
			if length, err = strconv.Atoi(v); err != nil {
				return 0, "", fmt.Errorf("bad Content-Length %q", v)
			}
		case strings.EqualFold(k, "Transfer-Encoding"):
			chunked = strings.EqualFold(v, "chunked")
		case strings.EqualFold(k, header):
			value = v
		}
	}
	switch {
	case chunked:
		err = discardChunked(c.r)
	case length >= 0:
		_, err = c.r.Discard(length)
	default:
		err = fmt.Errorf("response without a length")
	}
	return status, value, err
}

func discardChunked(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			// Trailers, then the empty line.
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(line) <= 2 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(io.Discard, r, n+2); err != nil {
			return err
		}
	}
}
