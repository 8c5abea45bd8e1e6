"""Turning one RFC 5322 message (bytes) into a :class:`~followup_sync.model.Message`, never raising.

Real mailboxes hold every kind of broken mail: unknown charsets, missing MIME boundaries, NUL bytes, 8-bit
headers, Exchange's ``<[...]>`` Message-IDs. CPython's ``policy.default`` header parser raises IndexError on
some of those and is quadratic on others (python/cpython #136063, #87075, #75630; see
notes/reliability-and-test-servers.md §1.8). So the message is split with the ``compat32`` policy, which
keeps header values as raw strings, and the few headers we need are decoded here with size caps and a
charset fallback chain. Anything that still goes wrong is caught per message: :func:`parse_message`
returns :class:`Rejected` with a reason, and the caller logs one WARNING naming the message (never its body).

Odd but readable mail is repaired before it is judged (:func:`_clean`, :func:`_repair_header_block`): a byte
order mark or blank lines before the first header, doubled carriage returns (``CR CR LF``, what a CRLF file
gets from a second unix2dos), ``Name : value`` (RFC 5322 obs-syntax) and a stray line that is not a header
between headers all made the parser end the headers early and report "no Date header" for a Date that was
there. So a skip's reason is the real one.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import MutableSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from followup_sync.model import KEPT_HEADERS, Message, synthetic_message_id

if TYPE_CHECKING:
    from email.message import Message as EmailMessage
# The stdlib's email package (about 15 ms to import) is imported where a message is parsed: a pass with no mail
# to read (and ``sync --dry-run`` on an empty mailbox, a cold-start figure of issue 11) never loads it.

#: The largest message read at all, measured as the stored (encoded) message, the size of the file or the IMAP
#: RFC822.SIZE. Gmail accepts incoming mail up to 50 MB and Exchange Online's default limits are 35 MB sent and
#: 36 MB received, all counted on the encoded message, so every message those services deliver by default is
#: read. Above it the message is skipped with a logged line: a bigger "message" is a file that is not mail or
#: an export gone wrong, and reading it would cost time and memory for nothing.
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
#: Messages above this size have their long base64 runs (attachment payloads, never used here) cut to
#: :data:`KEEP_BASE64_BYTES` before parsing: the stdlib parser holds about six times the message size (a 25 MB
#: message peaked at 163 MB, measured), and attachment names and the text parts survive the cut.
SLIM_ABOVE_BYTES = 1024 * 1024
#: Enough base64 for a text part longer than ``MAX_BODY_CHARS`` characters of UTF-8 text.
KEEP_BASE64_BYTES = 1024 * 1024
MAX_BODY_CHARS = 200_000
MAX_PARTS = 200
MAX_HEADER_BLOCK = 512 * 1024
MAX_ADDRESS_HEADER = 64 * 1024  # To with 20k ';' costs 65 ms uncapped; a real To line is far below this
MAX_ADDRESSES = 1000
MAX_TEXT_HEADER = 4096
MAX_REFERENCES = 100

# Line ends are "\r*\n": a file with doubled carriage returns (CR CR LF) still has its header block found.
_HEADER_END = re.compile(rb"\r*\n\r*\n")
_DATE_LINE = re.compile(rb"^date[ \t]*:[ \t]*(.*(?:\r*\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_FOLDED_DATE = re.compile(rb"^[ \t]+date[ \t]*:", re.IGNORECASE | re.MULTILINE)
_CR_RUN = re.compile(rb"\r\r+\n")
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:")  # RFC 5322 field name: printable ASCII except ":" (and WSP)
_BASE64_RUN = re.compile(rb"^(?:[A-Za-z0-9+/=]{16,998}\r?\n)+", re.MULTILINE)
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_FOLD = re.compile(r"\r*\n[ \t]*")
_YEAR = re.compile(r"(?<!\d)(?:19|20|21)\d\d(?!\d)")
_NO_DEFAULT = datetime(1, 1, 1)
_SURROGATE = re.compile("[\udc80-\udcff]")
_BARE_LIST = re.compile(r"[\w.'+#-]+@[\w.-]+(?:\s*,\s*[\w.'+#-]+@[\w.-]+)*\s*")
# One address with a plain or quoted display name and nothing getaddresses would read differently (checked on
# 13,066 Enron and synthetic address headers: same pairs).
_NAMED = re.compile(
    r'[ \t]*(?:"([^"\\]*)"|([^"<>,;:@\\()\[\]]*?))[ \t]*<([^<>\s"(),;:\\]+@[^<>\s"(),;:\\]+)>[ \t]*'
)
_SIMPLE_CHARSET = re.compile(r'(?i);\s*charset\s*=\s*"?([^";\s]+)"?\s*(?:;|$)')
_ADDRESS_HEADERS = ("from", "sender", "to", "cc", "bcc")
_NEEDED = frozenset(
    {"message-id", "date", "subject", "in-reply-to", "references", *_ADDRESS_HEADERS, *KEPT_HEADERS}
)


@dataclass(frozen=True)
class Rejected:
    """A message that could not be used; ``reason`` is safe to log (no body, no header values)."""

    reason: str
    id: str | None = None


class SkipLog:
    """Counts the messages a source skipped in this pass and logs each one: a WARNING the first time it is
    met, DEBUG after. ``known`` holds the labels already warned about: this process's own by default, or a
    set kept across runs (``logs.WarnedOnce``) that the pass hands in, so a second run or a restarted daemon
    does not repeat every warning; ``new`` counts the first-time ones (for the pass's summary line)."""

    def __init__(self, logger: logging.Logger, *, known: MutableSet[str] | None = None) -> None:
        self.logger = logger
        self.count = 0
        self.new = 0
        self.known: MutableSet[str] = known if known is not None else set()

    def skip(self, label: str, message: str, *args: object) -> None:
        self.count += 1
        first = label not in self.known
        if first:
            self.new += 1
            self.known.add(label)
        self.logger.log(logging.WARNING if first else logging.DEBUG, message, *args)


def header_block(raw: bytes) -> bytes:
    """The header section of ``raw`` (up to the first blank line), capped at ``MAX_HEADER_BLOCK``."""
    match = _HEADER_END.search(raw, 0, MAX_HEADER_BLOCK)
    return raw[: match.start()] if match else raw[:MAX_HEADER_BLOCK]


def quick_date(raw: bytes) -> datetime | None:
    """The Date header alone, read without parsing the message: lets sources skip mail outside a window.

    It uses the same rules as :func:`parse_message`, so a message kept here is dated identically there.
    """
    match = _DATE_LINE.search(header_block(raw))
    if match is None:
        return None
    return parse_date(match.group(1).decode("latin-1"))


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as aware UTC; naive dates ("-0000" or no zone) are taken as UTC. None if unusable."""
    value = _FOLD.sub(" ", value).strip()[:200]
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    parsed: datetime | None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = _lenient_date(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        result = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return result if 1970 <= result.year <= 2200 else None


def _lenient_date(value: str) -> datetime | None:
    """Dates that ``email.utils`` refuses but a person can read ("2001-10-29 04:26:55", "29.10.2001 10:00")."""
    import warnings

    from dateutil import parser as date_parser

    # Without a full year dateutil fills the gaps from today ("Monday" -> this week's Monday), which would give
    # the same message a different date, window and synthetic id on every pass.
    if not _YEAR.search(value):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UnknownTimezoneWarning for zone names like "L"
            parsed = date_parser.parse(value, fuzzy=True, default=_NO_DEFAULT)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed if parsed.year != _NO_DEFAULT.year else None


def parse_message(
    raw: bytes, *, folder: str = "", link: str | None = None, sent_at: datetime | None = None
) -> Message | Rejected:
    """Parse one message; never raises. ``Rejected.reason`` says why a message was left out.

    ``sent_at`` is what :func:`quick_date` read from ``raw``, if the caller has it: the same header by the same
    rules, so it is not parsed twice."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return Rejected(f"message is {len(raw) // (1024 * 1024)} MB, over the {MAX_MESSAGE_BYTES >> 20} MB limit")
    try:
        return _parse(raw, folder=folder, link=link, sent_at=sent_at)
    except Exception as exc:  # the email package raises a dozen types on hostile input (notes §1.8)
        return Rejected(f"unparsable message ({type(exc).__name__})", id=_fallback_message_id(raw))


def _fallback_message_id(raw: bytes) -> str | None:
    match = re.search(rb"^message-id:[ \t]*<([^<>\s]+)>", header_block(raw), re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode("latin-1").lower() if match else None


def _parse(raw: bytes, *, folder: str, link: str | None, sent_at: datetime | None = None) -> Message | Rejected:
    from email import message_from_bytes
    from email.errors import MissingHeaderBodySeparatorDefect
    from email.policy import compat32

    raw = _clean(raw)
    msg = message_from_bytes(raw, policy=compat32)
    if any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
        repaired = _repair_header_block(raw)
        if repaired is not raw:
            msg = message_from_bytes(repaired, policy=compat32)
    headers = _header_map(msg)
    message_id = _first_id(_raw(headers, "message-id"))
    date_value = _raw(headers, "date")
    if date_value is None:
        if _FOLDED_DATE.search(header_block(raw)):
            return Rejected("no Date header (a Date line is folded into the header above it)", id=message_id)
        return Rejected("no Date header", id=message_id)
    sent_at = sent_at or parse_date(date_value)
    if sent_at is None:
        return Rejected("unreadable Date header", id=message_id)
    from_list = _addresses(headers, "from") or _addresses(headers, "sender")
    if not from_list:
        return Rejected("no From address", id=message_id)
    sender_name, sender = from_list[0]
    subject = decode_text(_raw(headers, "subject") or "")[:MAX_TEXT_HEADER]
    if message_id is None:
        message_id = synthetic_message_id(sent_at, sender, subject)
    body, is_html, attachments = _body(msg)
    to, cc = _addresses(headers, "to"), _addresses(headers, "cc")
    return Message(
        id=message_id,
        sender=sender,
        sender_name=sender_name,
        names=tuple((a, n) for n, a in (*to, *cc) if n),
        to=tuple(a for _, a in to),
        cc=tuple(a for _, a in cc),
        bcc=tuple(a for _, a in _addresses(headers, "bcc")),
        subject=subject,
        sent_at=sent_at,
        body=body,
        body_is_html=is_html,
        in_reply_to=_first_id(_raw(headers, "in-reply-to")),
        references=_ids(_raw(headers, "references"))[-MAX_REFERENCES:],
        attachments=attachments,
        headers=_kept_headers(headers),
        folder=folder,
        link=link,
    )


# --- repairs -------------------------------------------------------------------------------------------


def _clean(raw: bytes) -> bytes:
    """NULs, a UTF-8 byte order mark, blank lines before the first header and doubled CRs removed; long
    base64 runs of a big message cut (see :data:`SLIM_ABOVE_BYTES`)."""
    raw = raw.replace(b"\x00", b"")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw[:1] in (b"\r", b"\n", b" ", b"\t"):
        raw = raw.lstrip(b" \t\r\n")
    if b"\r\r\n" in header_block(raw):
        raw = _CR_RUN.sub(b"\r\n", raw)
    if len(raw) > SLIM_ABOVE_BYTES:
        raw = _slim(raw)
    return raw


def _slim(raw: bytes) -> bytes:
    """``raw`` with every base64 run longer than :data:`KEEP_BASE64_BYTES` cut to that length, on a line end.

    Lines are 16-998 characters of the base64 alphabet (RFC 2045 keeps them at 76), so the pattern cannot match
    a header or boundary line and scans each line once.
    """
    pieces: list[bytes] = []
    last = 0
    for run in _BASE64_RUN.finditer(raw):
        if run.end() - run.start() <= KEEP_BASE64_BYTES:
            continue
        cut = raw.rfind(b"\n", run.start(), run.start() + KEEP_BASE64_BYTES) + 1
        pieces.append(raw[last : cut or run.start()])
        last = run.end()
    if not pieces:
        return raw
    pieces.append(raw[last:])
    return b"".join(pieces)


def _repair_header_block(raw: bytes) -> bytes:
    """The header block with ``Name : value`` joined and stray non-header lines dropped (``raw`` itself when
    nothing changed). A non-header line with no header after it ends the block, as the parser has it."""
    match = _HEADER_END.search(raw, 0, MAX_HEADER_BLOCK)
    end = match.start() if match else min(len(raw), MAX_HEADER_BLOCK)
    lines = raw[:end].splitlines(keepends=True)
    last_field = max((i for i, line in enumerate(lines) if _FIELD.match(line)), default=-1)
    out: list[bytes] = []
    changed = False
    for i, line in enumerate(lines):
        field = _FIELD.match(line)
        if field is not None:
            if field.end() != len(field.group(1)) + 1:  # "Date : ..." (obs-optional WSP before the colon)
                line = field.group(1) + b":" + line[field.end() :]
                changed = True
        elif line[:1] not in (b" ", b"\t") and not (i == 0 and line.startswith(b"From ")):
            if i > last_field:
                out.extend(lines[i:])
                break
            changed = True
            continue
        out.append(line)
    return b"".join(out) + raw[end:] if changed else raw


# --- headers -------------------------------------------------------------------------------------------


def _header_map(msg: EmailMessage) -> dict[str, list[str]]:
    """Header values as text by lower-cased name. ``raw_items`` keeps 8-bit bytes (smuggled in by compat32 as
    surrogates), which ``get`` would turn into U+FFFD; they are decoded here like an unlabelled body."""
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        lname = name.lower()
        if lname in _NEEDED:
            headers.setdefault(lname, []).append(_raw_value(value))
    return headers


def _raw(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0].strip() if values else None


def decode_text(value: str) -> str:
    """Decode RFC 2047 encoded words ("=?utf-8?q?...?="), tolerating unknown charsets and bad base64."""
    if "=?" not in value:
        return value
    from email.header import decode_header

    try:
        parts = decode_header(value)
    except Exception:  # HeaderParseError, binascii.Error, ...: show the raw text rather than nothing
        return value
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:
            out.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(decode_bytes(chunk, charset))
    return "".join(out).replace("\r", " ").replace("\n", " ")


def _addresses(headers: dict[str, list[str]], name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; odd Enron/Exchange forms cleaned, non-addresses dropped."""
    text = ", ".join(headers.get(name, ()))[:MAX_ADDRESS_HEADER]
    if not text:
        return []
    named = _NAMED.fullmatch(text) if "=?" not in text else None
    if _BARE_LIST.fullmatch(text):  # "a@x.com, b@y.com": most mail, and 3x faster than getaddresses
        pairs = [("", a) for a in text.split(",")]
    elif named is not None:  # one 'Jane Doe <jane@x.com>' (most From lines): 10x faster, same pair
        pairs = [(named.group(1) if named.group(1) is not None else named.group(2), named.group(3))]
    else:
        from email.utils import getaddresses

        pairs = getaddresses([_commas(decode_text(text))])
    result: list[tuple[str, str]] = []
    seen: set[str] = set()
    for display, address in pairs:
        address = clean_address(address)
        if address and address not in seen:
            seen.add(address)
            result.append((display.strip().strip("'\"").strip(), address))
            if len(result) >= MAX_ADDRESSES:
                break
    return result


def _commas(text: str) -> str:
    """Outlook separates addresses with ';' ("'a@x.com'; Doe, Jane"); getaddresses expects ','."""
    if ";" not in text:
        return text
    out: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        out.append("," if ch == ";" and not quoted else ch)
    return "".join(out)


def _raw_value(value: object) -> str:
    text = (value if isinstance(value, str) else str(value)).replace("\x00", "")
    if _SURROGATE.search(text):
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None)
    return _FOLD.sub(" ", text)


def clean_address(address: str) -> str:
    """Lower-case an address and strip what Enron/Exchange exports wrap around it ('x@y', <x@y>, mailto:)."""
    address = address.strip().strip("'\"<>`").strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    address = address.strip("'\"<>. ").lower()
    if address.startswith(("imceanotes-", "imceasmtp-")):
        address = _unwrap_imcea(address)
    if "@" not in address or " " in address or address.startswith("@") or address.endswith("@"):
        return ""
    return address


def _unwrap_imcea(address: str) -> str:
    """Exchange's wrapped foreign address: ``imceanotes-+22doe+22+20+3cjd+40x+2ecom+3e@...`` -> jd@x.com."""
    decoded = re.sub(r"\+([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), address.split("@", 1)[0])
    inner = re.search(r"<([^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)>", decoded)
    if inner:
        return inner.group(1)
    local = decoded.split("-", 1)[1]
    return local if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", local) else address


def _first_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _ids(value: str | None) -> tuple[str, ...]:
    """Message-ids without <>, lower-cased; bare ids (no brackets) are accepted too. Regex only: linear."""
    if value is None:
        return ()
    text = value[-MAX_ADDRESS_HEADER:]
    found = _MSG_ID.findall(text)
    if not found:
        found = [t.strip("<>") for t in text.split() if "@" in t]
    return tuple(dict.fromkeys(i.lower() for i in found if i))


def _kept_headers(headers: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    kept: list[tuple[str, str]] = []
    for name in KEPT_HEADERS:
        value = _raw(headers, name)
        if value is not None:
            kept.append((name, decode_text(value[:MAX_TEXT_HEADER])))
    return tuple(kept)


# --- body ----------------------------------------------------------------------------------------------


def _body(msg: EmailMessage) -> tuple[str, bool, tuple[str, ...]]:
    """(text, is_html, attachment file names): the first text/plain part, else the first text/html part."""
    plain: EmailMessage | None = None
    html: EmailMessage | None = None
    attachments: list[str] = []
    for count, part in enumerate(msg.walk()):
        if count >= MAX_PARTS:
            break
        if part.is_multipart():
            continue
        raw = _part_headers(part)
        disposition_value = raw.get("content-disposition", "")
        filename = _filename(part) if "name" in (disposition_value + raw.get("content-type", "")).lower() else ""
        disposition = disposition_value.split(";")[0].strip().lower()
        if filename or disposition == "attachment":
            attachments.append(filename or "(unnamed attachment)")
            continue
        ctype = _content_type(part, raw)
        # A multipart without a boundary is not split by the parser: its text is still the message's body.
        if (ctype == "text/plain" or ctype.startswith("multipart/")) and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    chosen = plain if plain is not None else html
    if chosen is None:
        return "", False, tuple(attachments)
    text = _part_text(chosen)[:MAX_BODY_CHARS]
    return text, chosen is html, tuple(attachments)


def _part_headers(part: EmailMessage) -> dict[str, str]:
    """A part's headers by lower-cased name (the first of each), read once: the stdlib's ``get`` re-reads and
    sanitises the header list at every call, and choosing a body part asked it half a dozen times."""
    found: dict[str, str] = {}
    for name, value in part.raw_items():
        found.setdefault(name.lower(), str(value))
    return found


def _content_type(part: EmailMessage, raw: dict[str, str]) -> str:
    """``part.get_content_type()`` from the headers already read (the same rules: the default type when absent,
    text/plain when malformed)."""
    value = raw.get("content-type")
    if value is None:
        return part.get_default_type()
    ctype = value.split(";", 1)[0].strip().lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except Exception:  # malformed RFC 2231 parameters
        return ""
    if not name:
        return ""
    return decode_text(_FOLD.sub(" ", str(name))).strip()[:255]


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_bytes(payload, _charset(part)).replace("\x00", "")


def _charset(part: EmailMessage) -> str | None:
    """The part's charset parameter; a plain ``charset=x`` is read directly (the stdlib's parameter parsing
    cost as much as the rest of a message's body), anything else (RFC 2231, several) by the stdlib."""
    ctype = _part_headers(part).get("content-type", "")
    simple = _SIMPLE_CHARSET.search(ctype) if "*" not in ctype and ctype.lower().count("charset") == 1 else None
    if simple is not None:
        return simple.group(1).lower()
    try:
        return part.get_content_charset()
    except Exception:
        return None


#: Charset labels seen in mail that Python's codec registry does not know, after the WHATWG Encoding Standard's
#: label table (https://encoding.spec.whatwg.org/#names-and-labels). None: a label that names no charset
#: ("unknown-8bit" is RFC 1428's), so the bytes are guessed like unlabelled text.
_CHARSET_ALIASES: dict[str, str | None] = {
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-8-e": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "windows-874": "cp874",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "ucs-2": "utf-16",
    "iso-10646-ucs-2": "utf-16",
    "unicode": "utf-16-le",
    "unicodefffe": "utf-16-be",
    "cn-big5": "big5",
    "x-user-defined": None,
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "default": None,
}
#: Codecs Python knows that are not mail charsets: punycode/idna encode domain names (and ``idna`` cannot
#: decode with ``errors="replace"``), the escape codecs would turn backslashes in the text into other
#: characters, ``undefined`` always raises, and ``mbcs``/``oem`` mean whatever the Windows machine's code page is.
#: Labels that mean a superset in practice (the WHATWG decoders do the same): Windows-1252's quotes and euro
#: sign under an ISO-8859-1 label are the rule in Outlook mail, not the exception.
_SUPERSETS = {"iso8859-1": "cp1252", "euc_kr": "cp949", "gb2312": "gbk"}
_NOT_MAIL_CHARSETS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem", "palmos"}
)


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset label, or None to guess (unknown, misspelt or not a mail charset).

    Labels are forgiven the way mail clients forgive them: quotes and spaces, an RFC 2231 language suffix
    (``utf-8*en``), trailing punctuation, ``x-`` prefixes (``x-sjis``, ``x-euc-jp``) and ``cp-1252`` spellings.
    """
    if not charset:
        return None
    label = charset.strip().strip("'\"").strip().lower().split("*", 1)[0].rstrip(";,. ")[:40]
    if label in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[label]
    candidates = [label]
    bare = label
    while bare.startswith("x-"):
        bare = bare[2:]
        candidates.append(bare)
    candidates.append(bare.replace("-", "").replace("_", ""))
    for candidate in candidates:
        if candidate in _CHARSET_ALIASES:
            return _CHARSET_ALIASES[candidate]
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        # bytes-to-bytes and text-to-text codecs (hex, base64, zlib, rot13) say so with _is_text_encoding.
        if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_MAIL_CHARSETS:
            return None
        return _SUPERSETS.get(info.name, info.name)
    return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset if it is a mail charset Python knows, else as UTF-8, else as
    Windows-1252, never raising.

    ``errors="replace"`` does not cover an unknown codec name (LookupError, notes §1.8) nor every codec (idna
    raises on it), so the label is vetted first (:func:`codec_for`) and each decode is guarded. ASCII is
    often declared for 8-bit text, so it falls through to the guesses too.
    """
    codec = codec_for(charset)
    if codec is not None and codec.startswith(("utf-16", "utf-32")) and b"\x00" not in data:
        codec = None  # UTF-16 text has NULs (every space and line end); 8-bit text under that label has none
    if codec is not None and codec != "ascii":
        text = _decoded(data, codec, "strict")
        if text is None and codec not in ("utf-8", "cp1252", "latin-1", "iso8859-1"):
            text = _decoded(data, codec, "replace")
        if text is not None:
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decoded(data: bytes, codec: str, errors: str) -> str | None:
    try:
        return data.decode(codec, errors)
    except Exception:  # UnicodeDecodeError, or another error from a less common codec
        return None
