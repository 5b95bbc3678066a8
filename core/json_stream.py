"""Split a JSON array into its elements as a stream, with the line each element starts on.

orjson cannot stream and a JSON array may be larger than memory, so this scanner finds element
boundaries (commas and brackets outside strings, at the array's depth) and hands each element's
bytes to orjson. Strings are skipped by one regex, so the Python loop runs once per bracket or comma,
not once per byte. An element that is not valid JSON becomes an error record and scanning goes on;
a file that ends inside an element yields that element as a "truncated" error record.

An object at the top level is either a wrapper holding the records in an array under some key
(`{"data": [...]}`; the key is noted) or, when it has no such array, a single record.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

import orjson

from core.errors import SieveInputError
from core.io import RawRecord, object_error, parse_json_bytes

# A complete string, or a lone quote (a string the buffer cuts off), or a structural character.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{},]', re.S)
# Inside an element only brackets matter: skip everything else (strings whole) in one C-level match.
_INSIDE = re.compile(rb'(?:[^"\[\]{}]+|"[^"\\]*(?:\\.[^"\\]*)*")*', re.S)
_SPACE = b" \t\r\n"
_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")
# Where a record most likely ends in a file written one record per line (or pretty-printed): a '}'
# with a line break next to the following ',' or ']'. A guess, checked by parsing (see _whole_element).
_LIKELY_END = re.compile(rb"\}(?=[ \t\r]*(?:\n[ \t\r\n]*[,\]]|[,\]][ \t\r]*\n))")
_GUESSES = 8
# Keys whose array is part of one record, never a list of records.
_RECORD_KEYS = {b'"messages"', b'"conversations"', b'"conversation"', b'"chosen"', b'"rejected"',
                b'"history"', b'"replies"', b'"tools"', b'"prompt"', b'"input"'}


class _Lines:
    """Line number of a buffer offset, counted incrementally so the cost stays linear."""

    def __init__(self) -> None:
        self.base_line, self.pos, self.line = 1, 0, 1

    def at(self, buf: bytes, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, self.base_line
        self.line += buf.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line

    def drop(self, buf: bytes, upto: int) -> None:
        """The buffer loses its first `upto` bytes."""
        self.base_line += buf.count(b"\n", 0, upto)
        self.pos, self.line = 0, self.base_line


def iter_json_array(chunks: Iterable[bytes], notes: list[str], path: str,
                    warnings: list[str] | None = None) -> Iterator[RawRecord]:
    """RawRecords for the elements of the top-level array (or of the array a wrapper object holds).

    `notes` receive what the reader found (for the evidence), `warnings` what the user should know.
    """
    warnings = notes if warnings is None else warnings
    chunk_iter = iter(chunks)
    buf, eof, lines = b"", False, _Lines()
    pos = depth = 0
    array_depth = None        # depth of the records' elements once the records array is found
    elem_start = 0            # offset just after the last separator at array depth
    root_start = None         # offset of the top-level '{' or '['
    last_key = None           # last string seen at depth 1 of a wrapper object
    index = 0
    parsed_ahead = None       # (elem_start, value) of an element the fast path already parsed

    def refill() -> bool:
        nonlocal buf, eof, pos, elem_start, root_start
        chunk = next(chunk_iter, None)
        if chunk is None:
            eof = True
            return False
        if array_depth is not None:  # keep only what the current element still needs
            lines.drop(buf, elem_start)
            buf, pos = buf[elem_start:] + chunk, pos - elem_start
            elem_start = 0
        else:
            buf += chunk
        return True

    def element(end: int) -> RawRecord | None:
        nonlocal index, parsed_ahead
        raw = buf[elem_start:end]
        stripped = raw.strip(_SPACE)
        if not stripped:
            return None
        line = lines.at(buf, elem_start + (len(raw) - len(raw.lstrip(_SPACE))))
        if parsed_ahead is not None and parsed_ahead[0] == elem_start:
            value, error, field, warning = parsed_ahead[1], None, None, None
        else:
            value, error, field, warning = parse_json_bytes(stripped)
        error = error or object_error(value)
        record = RawRecord(index, line, value if error is None else None, stripped, error, field, warning=warning)
        index += 1
        return record

    while True:
        if array_depth is not None and depth == array_depth and pos == elem_start:
            found = _whole_element(buf, pos)  # fast path: the element in one orjson call, no scanning
            if found:
                pos, parsed_ahead = found[0], (elem_start, found[1])
        if array_depth is not None and depth > array_depth:
            pos = _INSIDE.match(buf, pos).end()
            if pos >= len(buf) or buf[pos] == 0x22:  # end of buffer, or a string it cuts off
                if refill():
                    continue
                break
        match = _TOKEN.search(buf, pos)
        if match is None or match.group() == b'"':
            if refill():
                continue
            break
        token, start = match.group(), match.start()
        if root_start is None:
            if buf[pos:start].strip(_SPACE):
                raise SieveInputError(f"not JSON: unexpected text {buf[pos:start].strip()[:20]!r}",
                                      file=path, line=lines.at(buf, pos))
            if token not in (b"[", b"{"):
                raise SieveInputError("not JSON: expected '[' or '{' at the start", file=path, line=1)
            root_start = start
        pos = match.end()
        if token[:1] == b'"':
            if depth == 1 and array_depth is None:
                last_key = token
            continue
        if token in (b"[", b"{"):
            depth += 1
            if array_depth is None and token == b"[" and (depth == 1 or _is_wrapper(depth, last_key)):
                if depth == 2 and not _starts_object(buf, pos):
                    if not eof and _needs_more(buf, pos) and refill():
                        depth, pos = depth - 1, start  # rescan this bracket with more data
                    continue
                array_depth, elem_start = depth, pos
                if depth == 2:
                    notes.append(f"records are the array under key {last_key.decode(errors='replace')}")
            continue
        if token == b",":
            if depth == array_depth:
                record = element(start)
                yield record or RawRecord(index, lines.at(buf, start), raw=b"",
                                          error="empty element (two commas in a row)")
                index += 0 if record else 1
                elem_start = pos
            continue
        depth -= 1  # a closing bracket
        if array_depth is not None and depth == array_depth - 1:
            record = element(start)
            if record:
                yield record
            yield from _trailing(buf[pos:], chunk_iter, eof, index, lines.at(buf, pos), depth == 0)
            return
        if depth == 0:  # a top-level object closed without a records array: it is one record
            elem_start = root_start
            notes.append("the file holds one JSON object: read as a single record")
            yield element(pos)
            yield from _trailing(buf[pos:], chunk_iter, eof, index, lines.at(buf, pos), True)
            return
        if depth < 0:
            raise SieveInputError("not JSON: a closing bracket without an opening one",
                                  file=path, line=lines.at(buf, start))
    # end of file inside the document
    if root_start is None:
        raise SieveInputError("file holds no JSON value", file=path)
    if array_depth is None:
        raise SieveInputError("truncated JSON: the file ends before the top-level value closes",
                              file=path, line=lines.at(buf, len(buf)))
    rest = buf[elem_start:].strip(_SPACE)
    if rest:
        yield RawRecord(index, lines.at(buf, elem_start + len(buf[elem_start:]) - len(buf[elem_start:].lstrip(_SPACE))),
                        raw=rest, error="truncated JSON: the file ends inside this record")
    else:
        warnings.append("truncated JSON: the file ends before the closing ']' (every record before it was read)")


def _whole_element(buf: bytes, pos: int) -> tuple[int, dict] | None:
    """(end, value) when an object starting at `pos` ends at one of the likely ends in the buffer.

    Safe: if buf[start:end] parses as one JSON object, that object's closing brace is at end - 1,
    because tokenizing from `start` is the same whether or not the rest of the file follows.
    """
    start = _LEADING_SPACE.match(buf, pos).end()
    if start >= len(buf) or buf[start] != 0x7B:
        return None
    for guess, match in enumerate(_LIKELY_END.finditer(buf, start)):
        if guess == _GUESSES:
            return None
        end = match.end()
        try:
            return end, orjson.loads(buf[start:end])
        except orjson.JSONDecodeError:
            continue
    return None


def _is_wrapper(depth: int, last_key: bytes | None) -> bool:
    return depth == 2 and last_key is not None and last_key not in _RECORD_KEYS


def _starts_object(buf: bytes, pos: int) -> bool:
    rest = buf[pos:pos + 4096].lstrip(_SPACE)
    return rest[:1] == b"{"


def _needs_more(buf: bytes, pos: int) -> bool:
    return not buf[pos:].strip(_SPACE)


def _trailing(rest: bytes, chunk_iter: Iterator[bytes], eof: bool, index: int, line: int,
              at_top: bool) -> Iterator[RawRecord]:
    """After the records array closes: anything but whitespace at the top level is reported."""
    if not at_top:
        return  # inside a wrapper object: the remaining keys are not records
    text = rest.strip(_SPACE)
    while not text and not eof:
        chunk = next(chunk_iter, None)
        if chunk is None:
            break
        text = chunk.strip(_SPACE)
    if text:
        yield RawRecord(index, line, raw=text[:10_000],
                        error="unexpected text after the end of the JSON value")
