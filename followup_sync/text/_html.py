"""HTML mail bodies as plain text: block elements become line breaks; quotes, scripts and styles disappear.

Used by ``zoning.author_text`` (and re-exported there as ``zoning.html_to_text``). Stdlib ``html.parser`` only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCK_TAGS = _words(
    "address article aside div dl dt dd fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header "
    "hr li main nav ol p pre section table tbody thead tfoot tr ul center"
)
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "hr"})
_SKIP_TAGS = frozenset({"style", "script", "head", "title", "template", "noscript", "xml"})
# Quoted material as mail clients mark it: Gmail, Yahoo, Thunderbird, Apple Mail, Outlook on the web.
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "zmail_extra")
# Outlook puts its reply header in one of these and the quoted mail after it, as siblings: stop reading there.
_STOP_IDS = frozenset({"appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container"})
_NEVER = "\0"
_WS_RE = re.compile(r"[ \t\r\n\f]+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.drop_tag: str | None = None
        self.drop_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def _dropping(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag == "blockquote":
            return True
        for name, value in attrs:
            if not value:
                continue
            low = value.lower()
            if name == "class" and any(c in low for c in _QUOTE_CLASSES):
                return True
        return False

    def _stops(self, attrs: list[tuple[str, str | None]]) -> bool:
        return any(name == "id" and value and value.lower() in _STOP_IDS for name, value in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.drop_tag is not None:
            if tag == self.drop_tag:
                self.drop_depth += 1
            return
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
            return
        if self._stops(attrs):
            self.drop_tag, self.drop_depth = _NEVER, 1
            return
        if self._dropping(tag, attrs):
            self.drop_tag, self.drop_depth = tag, 1
            self.parts.append("\n")
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        if tag == "pre":
            self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.drop_tag is None and not self.skip_depth and tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.drop_tag is not None:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if self.drop_depth == 0:
                    self.drop_tag = None
            return
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.drop_tag is not None or self.skip_depth:
            return
        self.parts.append(data if self.pre_depth else _WS_RE.sub(" ", data))


_BLANKS_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body: block elements become line breaks, quotes and scripts disappear."""
    parser = _TextParser()
    parser.feed(html)
    # What feed() could not finish is left in ``rawdata``: an unclosed tag, comment or declaration at the end.
    # close() in Python before 3.11.13 / 3.12.11 / 3.13.5 retries every "<" of it against all the rest, which
    # is quadratic (python/cpython#135462: 150 kB of "<a " take minutes). As HTML5 and the fixed parser do,
    # the unclosed construct is dropped: the text after it was inside the tag or comment.
    if parser.rawdata.startswith("<"):
        parser.rawdata = ""
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    # Spaces around line breaks go; per line with str.strip, since a regex search over a long run of spaces
    # that never reaches a newline (150,000 &nbsp;) retries every position of the run (issue 10).
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    return _BLANKS_RE.sub("\n\n", text).strip()
