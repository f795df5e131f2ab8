"""tests/pylib's event-stream parser, and its reading of sanitizer
reports: the other tests trust them."""

from pylib.server import interrupted_leak_check
from pylib.sse import SSEParser


def test_sse_parser_ignores_ping_comments_anywhere():
    p = SSEParser()
    p.feed(b": ping\n\nretry: 2000\n\n: ping\nid: 5\n: ping\nevent: progress"
           b"\n: ping\ndata: {\"value\":1}\n\n: ping\n\n", final=True)
    assert [(e.id, e.type, e.json) for e in p.events] == \
        [("5", "progress", {"value": 1})], p.events
    assert len(p.comments) == 5 and p.retry == 2000


def test_sse_parser_accepts_every_line_ending():
    p = SSEParser()
    p.feed(b"id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rid: 3\ndata: c\n\n",
           final=True)
    assert [(e.n, e.data) for e in p.events] == [(1, "a"), (2, "b"),
                                                 (3, "c")]


def test_sse_parser_joins_data_lines_and_survives_split_input():
    p = SSEParser()
    text = b"id: 7\nevent: log\ndata: one\ndata: two\r\n\r\n"
    for i in range(len(text)):          # one byte at a time
        p.feed(text[i:i + 1])
    p.feed(b"", final=True)
    assert [(e.n, e.type, e.data) for e in p.events] == \
        [(7, "log", "one\ntwo")]


def test_sse_parser_keeps_field_order_for_stream_start_checks():
    p = SSEParser()
    p.feed(b"retry: 2000\n\nid: 1\nevent: state\ndata: {}\n\n")
    assert p.fields[0] == "retry" and p.fields[1:] == ["id", "event", "data"]


def test_only_an_interrupted_leak_check_is_left_out_of_the_reports():
    cut = "==23376==Unable to get registers from thread 23374.\n"
    assert interrupted_leak_check(cut)
    assert interrupted_leak_check(cut + "\n" + cut)
    assert not interrupted_leak_check("")
    assert not interrupted_leak_check(
        cut + "==23376==ERROR: LeakSanitizer: detected memory leaks\n")
    assert not interrupted_leak_check(
        "==1==ERROR: AddressSanitizer: heap-use-after-free\n")
