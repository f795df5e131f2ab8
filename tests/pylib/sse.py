"""Server-Sent Events: the one parser of the text/event-stream format and
the one decoder of an HTTP/1.1 response read as its bytes arrive. The
tests read streams with SSEStream; the bench feeds Response from its own
socket in a thread (its thousands of watchers are bench/watchers.c)."""

import json
import re
import socket
import time

HTTP_TIMEOUT = 10       # s, the response head of a stream

_EOL = re.compile("\r\n|\r")       # to \n, the one line end then
_FRAME = re.compile("id: ([^\n]*)\nevent: ([^\n]*)\ndata: ([^\n]*)\n\n")
_FRAME_FIELDS = ("id", "event", "data")


class Event:
    __slots__ = ("id", "type", "data")

    def __init__(self, id, type, data):
        self.id = id            # str or None, as sent
        self.type = type        # "message" when no event: line
        self.data = data

    @property
    def n(self):
        """The id as an integer (our ids are decimal numbers)."""
        return int(self.id)

    @property
    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return "<event id=%s %s %s>" % (self.id, self.type, self.data[:120])


class SSEParser:
    """The text/event-stream format, fed bytes as they arrive.

    Lines end at \\r\\n, \\n or \\r. Comment lines (`: ping`) are kept in
    `comments` and otherwise ignored wherever they come. `fields` lists
    field names in order, so a test can see what the stream began with.

    The bench feeds it 10,000 data items a second on two shared cores
    (one task's stream, beside wrk), so a feed decodes its complete lines
    at once and takes a frame as our server writes it (id, event, one
    data line) in one regular expression match; anything else goes line
    by line."""

    def __init__(self):
        self.buf = b""
        self.events = []
        self.comments = []
        self.fields = []
        self.retry = None
        self._reset()

    def _reset(self):
        self._id = None
        self._type = None
        self._data = []
        self._any = False

    def feed(self, data, final=False):
        """Parses what it can; returns the events completed by this data."""
        buf = self.buf + data
        # A lone \r at the end may be the first half of \r\n.
        cut = len(buf) - 1 if not final and buf.endswith(b"\r") else len(buf)
        end = max(buf.rfind(b"\n", 0, cut), buf.rfind(b"\r", 0, cut)) + 1
        self.buf = buf[end:]        # the line not ended yet
        text = buf[:end].decode("utf-8")
        if "\r" in text:
            text = _EOL.sub("\n", text)
        new = []
        pos = 0
        while pos < len(text):
            if not self._any:
                # Our server's frames, whole: one match, not four lines.
                m = _FRAME.match(text, pos)
                if m is not None:
                    new.append(Event(*m.groups()))
                    self.fields += _FRAME_FIELDS
                    pos = m.end()
                    continue
            eol = text.index("\n", pos)
            ev = self._line(text[pos:eol])
            pos = eol + 1
            if ev is not None:
                new.append(ev)
        self.events += new
        return new

    def _line(self, line):
        if line == "":
            if not self._any:
                return None
            ev = Event(self._id, self._type or "message",
                       "\n".join(self._data))
            self._reset()
            return ev
        if line.startswith(":"):
            self.comments.append(line)
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        self.fields.append(name)
        if name == "retry":
            self.retry = int(value)
        elif name in ("id", "event", "data"):
            self._any = True
            if name == "id":
                self._id = value
            elif name == "event":
                self._type = value
            else:
                self._data.append(value)
        return None


class Response:
    """An HTTP/1.1 response decoded as its bytes arrive: the head, then a
    chunked body, a Content-Length body or one that ends at close. The
    body of a 200 goes to an SSEParser; another's is kept in `body`."""

    def __init__(self):
        self.raw = b""              # bytes not decoded yet
        self.status = None          # set once the head is in
        self.headers = {}           # names in lower case
        self.ended = False          # the body is complete
        self.closed = False         # the peer closed the connection
        self.body = b""             # the body of a non-200 answer
        self.parser = SSEParser()
        self._chunked = False
        self._left = None           # Content-Length bytes still to come
        self._chunk_left = 0        # bytes of the current chunk still to come
        self._crlf = False          # a chunk's closing CRLF is still to come

    def feed(self, data):
        """Takes the bytes that arrived, b"" when the peer closed; returns
        the events they completed."""
        if not data:
            self.closed = True
        self.raw += data
        if self.status is None and not self._head():
            return []
        return self._decode()

    def _head(self):
        if b"\r\n\r\n" not in self.raw:
            return False
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if self.status in (204, 304) or 100 <= self.status < 200:
            self.ended = True
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif "content-length" in self.headers:
            self._left = int(self.headers["content-length"])
        return True

    def _decode(self):
        """Moves complete body bytes from raw on; returns new events."""
        body = b""
        if self._chunked:
            while not self.ended:
                if self._chunk_left == 0:
                    if self._crlf:
                        if len(self.raw) < 2:
                            break
                        self.raw, self._crlf = self.raw[2:], False
                    size, eol, rest = self.raw.partition(b"\r\n")
                    if not eol:
                        break
                    n = int(size.split(b";")[0], 16)
                    self.raw = rest
                    if n == 0:
                        self.ended = True   # trailers are of no interest
                        break
                    self._chunk_left = n
                take = self.raw[:self._chunk_left]
                self.raw = self.raw[len(take):]
                self._chunk_left -= len(take)
                body += take
                if self._chunk_left:
                    break
                self._crlf = True
        elif self._left is not None:
            take = self.raw[:self._left]
            self.raw = self.raw[len(take):]
            self._left -= len(take)
            body = take
            if self._left == 0:
                self.ended = True
        elif not self.ended:
            body, self.raw = self.raw, b""
            if self.closed:
                self.ended = True
        if self.status != 200:
            self.body += body
        elif body or self.ended:
            return self.parser.feed(body, final=self.ended)
        return []


def request(port, path, headers=None):
    """The bytes of a GET asking for an event stream."""
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
             "Accept: text/event-stream", "Cache-Control: no-cache"]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class SSEStream:
    """An HTTP/1.1 GET read as an event stream over a raw socket.

    All state is kept in buffers, so a read that reaches its deadline
    loses nothing and reading can go on later."""

    def __init__(self, port, path, headers=None, timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.sock.sendall(request(port, path, headers))
        self.resp = Response()
        self.timed_out = False
        self.truncated = False      # closed in the middle of a chunked body
        self._returned = 0          # events handed out by read()
        deadline = time.monotonic() + timeout
        while self.resp.status is None:
            if self.resp.closed:
                raise AssertionError("connection closed before headers: %r"
                                     % self.resp.raw)
            if not self._recv(deadline):
                raise AssertionError("no response headers in time")
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.parser = self.resp.parser

    @property
    def events(self):
        return self.parser.events

    @property
    def body(self):
        """The body of a non-200 answer."""
        return self.resp.body

    @property
    def ended(self):
        """The response body is complete."""
        return self.resp.ended or self.truncated

    @property
    def closed_by_peer(self):
        return self.resp.closed

    def _recv(self, deadline):
        """Feeds the bytes that came; False at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(min(left, 0.5))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except ConnectionResetError:
            data = b""
        self.resp.feed(data)
        return True

    def read(self, n=None, until=None, timeout=20):
        """Reads events until n new ones, until(event) is true for one,
        the end of the stream, or timeout seconds. Returns the events no
        earlier read returned (some may have come with the headers);
        `ended`, `truncated` and `timed_out` say how it stopped."""
        deadline = time.monotonic() + timeout
        self.timed_out = False
        while True:
            new = self.events[self._returned:]
            if (self.ended or (n is not None and len(new) >= n)
                    or (until is not None and any(map(until, new)))):
                break
            if self.closed_by_peer:
                # Closed without a proper end of a chunked body.
                self.truncated = True
                break
            if not self._recv(deadline):
                self.timed_out = True
                break
        self._returned = len(self.events)
        return new

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
