"""An .ics file as text: its top-level components kept as their original lines.

The reminder sink replaces or removes only its own VEVENTs and writes every other component back byte for
byte, so a calendar app's events in the same file are never reformatted. A component's ETAG is the hash of
its lines, so any edit to it changes the etag.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

PRODID = "-//followup-sync//followup-sync//EN"


@dataclass
class Block:
    """One top-level component inside VCALENDAR, as its unfolded-or-not original lines."""

    name: str
    lines: list[str]
    uid: str | None = None
    tzid: str | None = None

    def etag(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode("utf-8", "surrogateescape")).hexdigest()[:32]


@dataclass
class Document:
    head: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    def find(self, uid: str) -> Block | None:
        return next((b for b in self.blocks if b.name == "VEVENT" and b.uid == uid), None)

    def render(self) -> bytes:
        lines = [*self.head, *(line for b in self.blocks for line in b.lines), *self.tail]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


def new_document(calendar_name: str) -> Document:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    head.append(f"X-WR-CALNAME:{calendar_name}")
    return Document(head=head, tail=["END:VCALENDAR"])


def parse_document(data: bytes) -> Document:
    """Split an .ics file into top-level components; ValueError names what is wrong with it."""
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    lines = [line for line in re.split(r"\r?\n|\r", text) if line]
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise ValueError("it does not start with BEGIN:VCALENDAR")
    doc = Document(head=[lines[0]])
    block: Block | None = None
    depth = 1
    for number, line in enumerate(lines[1:], start=2):
        upper = line.upper()
        if block is None:
            if upper.startswith("BEGIN:"):
                block, depth = Block(name=upper[6:].strip(), lines=[line]), 2
            elif upper.strip() == "END:VCALENDAR":
                doc.tail = lines[number - 1 :]
                return doc
            else:
                doc.head.append(line)
            continue
        block.lines.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
            if depth == 1:
                if upper[4:].strip() != block.name:
                    raise ValueError(f"line {number}: {line.strip()[:40]} closes BEGIN:{block.name}")
                block.uid = _property(block.lines, "UID")
                block.tzid = _property(block.lines, "TZID")
                doc.blocks.append(block)
                block = None
    raise ValueError("it ends before END:VCALENDAR")


def content_lines(ical: bytes) -> list[str]:
    """Content lines of icalendar's output (CRLF-separated; str.splitlines would also split at U+2028)."""
    return [line for line in re.split(r"\r?\n", ical.decode("utf-8")) if line]


def _property(lines: list[str], name: str) -> str | None:
    """A property of the component itself (not of a nested VALARM), unfolded."""
    depth = 0
    for i, line in enumerate(lines):
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 1 and re.match(rf"{name}[;:]", upper):
            value = line
            for cont in lines[i + 1 :]:
                if cont[:1] not in (" ", "\t"):
                    break
                value += cont[1:]
            return value.split(":", 1)[1].strip() if ":" in value else None
    return None
