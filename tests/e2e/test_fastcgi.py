"""hourglass-fcgi spoken to as nginx speaks to it, on its own socket, with
no nginx between to hide how an answer is framed: FCGI_STDOUT records,
one empty record that ends the stream, then one FCGI_END_REQUEST, and
the connection kept for the next request when it was asked to be; a
body past anything nginx lets through is still answered, and that
connection closed. (The FastCGI specification, sections 3.3, 5.1, 5.3
and 5.5.)"""

import json
import os
import resource
import socket
import struct
import time

from harness import fcgi_pid

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER, KEEP_CONN = 1, 1


def record(rtype, reqid, content=b""):
    return struct.pack(">BBHHBB", 1, rtype, reqid, len(content), 0, 0) + \
        content


def pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack(">B", n) if n < 128 else \
                struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def send(sock, reqid, method, uri, body=b"", keep=True, ctype=None):
    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri,
              "SCRIPT_NAME": uri.split("?")[0],
              "CONTENT_LENGTH": str(len(body)),
              "SERVER_PROTOCOL": "HTTP/1.1"}
    if ctype:
        params["CONTENT_TYPE"] = ctype
    out = record(BEGIN_REQUEST, reqid, struct.pack(
        ">HB5x", RESPONDER, KEEP_CONN if keep else 0))
    out += record(PARAMS, reqid, pairs(params)) + record(PARAMS, reqid)
    for i in range(0, len(body), 65535):
        out += record(STDIN, reqid, body[i:i + 65535])
    out += record(STDIN, reqid)
    sock.sendall(out)


def recv_exact(sock, n):
    got = b""
    while len(got) < n:
        more = sock.recv(n - len(got))
        if not more:
            raise EOFError("the connection closed after %d of %d bytes" %
                           (len(got), n))
        got += more
    return got


def answer(sock, reqid):
    """Reads records up to FCGI_END_REQUEST: (the records' types in
    order, the stdout stream's bytes, the end's app status and protocol
    status)."""
    types, out = [], b""
    while True:
        ver, rtype, rid, clen, pad, _ = struct.unpack(
            ">BBHHBB", recv_exact(sock, 8))
        content = recv_exact(sock, clen + pad)[:clen]
        assert ver == 1 and rid == reqid, (ver, rid)
        types.append((rtype, clen))
        if rtype == STDOUT:
            out += content
        elif rtype == END_REQUEST:
            app, proto = struct.unpack(">IB3x", content)
            return types, out, app, proto
        else:
            assert rtype != STDERR, content


def connect(srv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(srv.data, "fcgi.sock"))
    return s


def split(out):
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(h.split(": ", 1) for h in lines[1:])
    return status, headers, body


def test_answers_end_once_and_the_connection_is_kept(srv):
    s = connect(srv)
    records = {}
    try:
        # The same connection, request after request, ids as nginx
        # gives them (1) and others.
        for reqid, uri in ((1, "/api/health"), (1, "/api/openapi.json"),
                           (7, "/api/tasks?limit=5"), (300, "/api/kinds")):
            send(s, reqid, "GET", uri)
            types, out, app, proto = answer(s, reqid)
            assert (app, proto) == (0, 0), (uri, app, proto)
            # Content, then exactly one empty FCGI_STDOUT, then the end.
            assert types[-2:] == [(STDOUT, 0), (END_REQUEST, 8)], types
            data = types[:-2]
            assert data and all(t == STDOUT and n > 0 for t, n in data), \
                types
            # Records are as full as they may be but the last.
            assert all(n == 65535 for _, n in data[:-1]), types
            status, headers, body = split(out)
            assert status == 200, (uri, out[:200])
            assert int(headers["Content-Length"]) == len(body), uri
            json.loads(body)
            records[uri] = len(data)
        # The document is past one record; the others fit in one.
        assert records["/api/openapi.json"] > 1, records
        assert records["/api/health"] == 1, records
    finally:
        s.close()


def test_a_refused_body_is_read_before_the_answer_and_the_next_follows(srv):
    s = connect(srv)
    try:
        send(s, 1, "POST", "/api/kinds", b"x" * 200000,
             ctype="application/json")
        types, out, app, _ = answer(s, 1)
        assert split(out)[0] == 405, out[:200]
        send(s, 1, "POST", "/api/tasks", b'{"kind":"count"}',
             ctype="application/json")
        types, out, app, _ = answer(s, 1)
        status, headers, body = split(out)
        assert status == 201, out[:300]
        assert headers["Location"] == "/api/tasks/%d" % json.loads(body)["id"]
    finally:
        s.close()


def test_a_body_past_every_limit_is_answered_then_the_connection_closed(srv):
    """nginx lets at most 1 MiB through; past that the body cannot be
    read to its end, so the connection cannot be kept: the answer goes
    out all the same, and then the server closes it."""
    s = connect(srv)
    try:
        body = b"{" + b" " * (1100 * 1024) + b"}"
        send(s, 1, "POST", "/api/tasks", body, ctype="application/json")
        types, out, app, _ = answer(s, 1)
        status, _, err = split(out)
        assert status == 413, out[:300]
        assert json.loads(err)["error"]["code"] == "too_large", err
        assert s.recv(1) == b"", "the connection was kept"
    finally:
        s.close()
    assert srv.get("/api/health").status == 200


def test_without_keep_conn_the_connection_closes_after_the_answer(srv):
    s = connect(srv)
    try:
        send(s, 1, "GET", "/api/health", keep=False)
        types, out, app, _ = answer(s, 1)
        assert split(out)[0] == 200, out[:200]
        assert s.recv(1) == b"", "the connection was kept"
    finally:
        s.close()


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime, stime


def test_out_of_descriptors_a_connection_is_answered_503(srv):
    # Connections kept open, as nginx keeps them, take every descriptor
    # the limit leaves; the next is answered 503 with Retry-After, not
    # left waiting while accept fails again and again on a spun core.
    pid = fcgi_pid(srv)
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    held = []
    try:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (
            len(os.listdir("/proc/%d/fd" % pid)) + 12, hard))
        refused = None
        for i in range(60):
            s = connect(srv)
            held.append(s)
            send(s, 1, "GET", "/api/kinds")
            status, headers, body = split(answer(s, 1)[1])
            if status == 503:
                refused = (headers, json.loads(body))
                break
            assert status == 200, (status, body)
        assert refused is not None, "60 kept connections, none refused"
        headers, body = refused
        assert headers.get("Retry-After") == "1", headers
        assert body["error"]["code"] == "unavailable", body
        assert "descriptor" in body["error"]["message"], body
        # Still out of them, the waiting threads do not spin.
        before = cpu_ticks(pid)
        time.sleep(2)
        used = (cpu_ticks(pid) - before) / os.sysconf("SC_CLK_TCK")
        assert used < 0.5, "%.2f s of CPU in 2 s, idle" % used
    finally:
        for s in held:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    # Descriptors back, everything answers again.
    assert srv.get("/api/health").status == 200
