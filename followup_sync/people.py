"""People behind addresses: the name, company and phone number a reminder shows. Pure functions, no I/O.

What is known of a contact comes from three places, each a :class:`Person` row with its ``source``:

- ``header``: the display name in From, To and Cc ("Chen, Mark" <mark.chen@acme.example> reads "Mark Chen");
- ``signature``: the phone number and company in the contact's *own* signature, in mail they sent (never in
  the rep's mail or in quoted text: a number there may be anybody's);
- ``contacts``: the rep's Outlook contacts on Microsoft 365 (opt-in, ``[mail] contacts = true``).

:func:`merge` keeps, per field, the best source (contacts, then signature, then header), the newest within one
source. What is shown (:func:`label`):

- the name; without one, a "first.last" address reads "First Last" (nothing else is guessed) and any other
  address is shown as it is, lower case, never as the first word of a sentence;
- the company from the signature or the Outlook contact, else from the domain: the label below the public
  suffix ("mail.acme.co.uk" -> "Acme"; short ones upper-cased: "ibm.com" -> "IBM"), none for public mail
  services (gmail.com, outlook.com, ...), where the domain says nothing about the employer;
- a phone number as read in the signature, with a ``tel:`` link in E.164 form when the number can be read as a
  complete one (``phonenumbers``, Google's libphonenumber metadata; the region for numbers written without a
  country code comes from the contact's country-code domain, else the rep's).

Only these fields go into the state (``people`` table): never a signature or any other text of a message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from followup_sync.model import Message

SOURCES = ("contacts", "signature", "header", "address")  # best first
NAME_MAX = 60
COMPANY_MAX = 40

#: Public mail services: their domain names no employer.
PUBLIC_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "hotmail.com", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "gmx.com", "gmx.net", "gmx.de",
        "web.de", "t-online.de", "freenet.de", "proton.me", "protonmail.com", "pm.me", "mail.com", "yandex.com",
        "yandex.ru", "mail.ru", "zoho.com", "qq.com", "163.com", "126.com", "naver.com", "comcast.net",
        "att.net", "verizon.net", "sbcglobal.net", "bellsouth.net", "cox.net", "earthlink.net", "orange.fr",
        "free.fr", "laposte.net", "wanadoo.fr", "libero.it", "btinternet.com", "sky.com", "fastmail.com",
        "hey.com", "tutanota.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "bigpond.com", "shaw.ca",
        "rogers.com", "rediffmail.com", "uol.com.br", "bol.com.br", "terra.com.br",
    }
)  # fmt: skip
#: Public mail services that exist under many country suffixes (yahoo.co.uk, hotmail.fr, outlook.de ...).
_PUBLIC_LABELS = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex", "aol", "msn", "windowslive"})
_LEGAL = re.compile(
    r"[\s,]+(?:inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|ag|se|sa|s\.a|nv|bv"
    r"|plc|pty|pte|kg|oy|ab|as|spa|s\.p\.a|srl|sarl|lp|llp)\.?$",
    re.IGNORECASE,
)
_NAME_CHARS = re.compile(r"[^\W\d_][\w'.-]*", re.UNICODE)
_FAX = re.compile(r"\bfax\b|\bf\s*[:.]", re.IGNORECASE)
_MOBILE = re.compile(r"\b(?:m|mob|mobile|cell|c|handy)\b", re.IGNORECASE)
_PHONE_PARTS = re.compile(r"\s*(?:\||•|·|\s{3,}|\t)\s*")
_DIGITS = re.compile(r"\+?\(?\d[\d\s().\-/]{6,}\d")
_NOT_COMPANY = re.compile(r"@|://|\bwww\.|\b\w+\.(?:com|net|org|io|example)\b|\d{3}", re.IGNORECASE)
_SEGMENTS = re.compile(r"\s*(?:\||•|·|,|;|\s[-–—]\s|/)\s*")
SIGNATURE_LINES = 10


@dataclass(frozen=True)
class Person:
    """What one source says about one address; empty fields say nothing."""

    address: str
    name: str = ""
    company: str = ""
    phone: str = ""
    source: str = "header"
    seen: datetime | None = None


# --- reading -------------------------------------------------------------------------------------------


def display_name(raw: str, address: str = "") -> str:
    """A header display name as a person writes it: "Chen, Mark" -> "Mark Chen", "MARK CHEN" -> "Mark Chen";
    "" for one that is an address, a role or not a name at all."""
    text = " ".join(raw.replace('"', " ").replace("'", " ").split())
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]\s*$", "", text)  # "Mark Chen (Acme)", "Mark Chen [EXT]"
    if not text or "@" in text or len(text) > NAME_MAX or (address and text.lower() == address):
        return ""
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        text = f"{first} {last}".strip()
    words = text.split()
    if not 1 <= len(words) <= 4 or not all(_NAME_CHARS.fullmatch(w) for w in words):
        return ""
    if text.isupper() or text.islower():
        text = " ".join(w[:1].upper() + w[1:].lower() for w in words)
    return text


def name_from_address(address: str) -> str:
    """ "mark.chen@x" -> "Mark Chen": only first.last (or first_last) with alphabetic parts of two or more
    letters; anything else ("jsmith", "sales") is not a name we can tell."""
    local = address.partition("@")[0]
    parts = re.split(r"[._]", local)
    if not 2 <= len(parts) <= 3 or not all(p.isalpha() and len(p) >= 2 for p in parts):
        return ""
    return " ".join(p[:1].upper() + p[1:].lower() for p in parts)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_public_mail(domain: str) -> bool:
    return domain in PUBLIC_MAIL or registrable(domain).split(".")[0] in _PUBLIC_LABELS


def registrable(domain: str) -> str:
    """The domain a company registered: "mail.acme.co.uk" -> "acme.co.uk" (the public suffix list, read only
    for names of three labels or more: a two-label name is registrable itself)."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    return str(_suffixes().privatesuffix(domain.lower()) or ".".join(labels[-2:]))


@functools.cache
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList  # the bundled list; building it costs ~80 ms, once

    return PublicSuffixList()


def company_from_domain(domain: str) -> str:
    """ "acme.example" -> "Acme", "ibm.com" -> "IBM"; "" for a public mail service."""
    if not domain or is_public_mail(domain):
        return ""
    label = registrable(domain).split(".")[0]
    if not label.replace("-", "").isalnum():
        return ""
    if len(label) <= 3:
        return label.upper()
    return " ".join(p[:1].upper() + p[1:] for p in label.split("-"))


def signature_block(own_text: str) -> str:
    """The last lines of the author's own part of a message (quotes already cut): where a signature is."""
    lines = [line.strip() for line in own_text.strip().split("\n")]
    tail = lines[-SIGNATURE_LINES:]
    return "\n".join(line for line in tail if len(line) <= 100)


def company_in_signature(block: str, domain: str) -> str:
    """The company as the contact writes it, when a short segment of their signature names the domain's label
    ("Head of IT | Acme Corporation" for acme.example reads "Acme"): the domain says it is theirs, the
    signature how it is spelled. Legal suffixes (Inc., GmbH, Corp ...) are dropped."""
    label = re.sub(r"[^a-z0-9]", "", registrable(domain).split(".")[0]) if domain else ""
    if len(label) < 2:
        return ""
    best = ""
    for line in block.split("\n"):
        for segment in _SEGMENTS.split(line):
            segment = segment.strip(" .:")
            if not segment or len(segment) > COMPANY_MAX or _NOT_COMPANY.search(segment):
                continue
            if label in re.sub(r"[^a-z0-9]", "", segment.lower()):
                cleaned = _LEGAL.sub("", segment).strip(" ,.")
                if cleaned and (not best or len(cleaned) < len(best)):
                    best = cleaned
    return best


def phone_in_signature(block: str, *, region: str) -> str:
    """The contact's number in their signature, E.164 ("+16175550199") when it reads as a full number, ""
    otherwise. A mobile number wins over others; fax lines are skipped."""
    import phonenumbers  # phonenumberslite: loaded only when a signature has something like a number

    found: list[tuple[int, str]] = []
    for line in block.split("\n"):
        for part in _PHONE_PARTS.split(line):
            if not _DIGITS.search(part) or _FAX.search(part):
                continue
            for match in phonenumbers.PhoneNumberMatcher(part, region, leniency=phonenumbers.Leniency.VALID):
                e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                found.append((0 if _MOBILE.search(part[: match.start]) else 1, e164))
    return min(found)[1] if found else ""


def region_of(domain: str, default: str) -> str:
    """The phone region for numbers written without a country code: a country-code domain's, else ``default``."""
    tld = domain.rsplit(".", 1)[-1].upper()
    if len(tld) == 2 and tld not in ("IO", "AI", "CO", "ME", "TV", "FM", "LY", "AM", "GG", "AC"):
        return "GB" if tld == "UK" else tld
    return default


def facts(
    messages: Iterable[Message], *, me: frozenset[str], own_text: Mapping[str, str], region: str
) -> list[Person]:
    """What these messages say about the people in them: header display names of everyone but the rep, and
    the phone and company in each contact's own signature (``own_text``: message id -> the author's part of
    the body, quotes cut, for mail from others). Newest message last, so :func:`merge` keeps the newest."""
    out: list[Person] = []
    for msg in sorted(messages, key=lambda m: (m.sent_at, m.id)):
        pairs = [(msg.sender, msg.sender_name), *msg.names]
        for address, raw in pairs:
            name = display_name(raw, address)
            if address and address not in me and name:
                out.append(Person(address, name=name, source="header", seen=msg.sent_at))
        text = own_text.get(msg.id)
        if msg.sender in me or not text:
            continue
        block = signature_block(text)
        domain = domain_of(msg.sender)
        phone = phone_in_signature(block, region=region_of(domain, region)) if _DIGITS.search(block) else ""
        company = company_in_signature(block, domain)
        if phone or company:
            out.append(Person(msg.sender, company=company, phone=phone, source="signature", seen=msg.sent_at))
    return out


def merge(rows: Iterable[Person]) -> dict[str, Person]:
    """One :class:`Person` per address: each field from the best source that has it (newest rows last)."""
    best: dict[str, dict[str, tuple[int, str]]] = {}
    for row in rows:
        fields = best.setdefault(row.address, {})
        rank = SOURCES.index(row.source) if row.source in SOURCES else len(SOURCES)
        for name in ("name", "company", "phone"):
            value = getattr(row, name)
            if value and (name not in fields or rank <= fields[name][0]):
                fields[name] = (rank, value)
    return {
        address: Person(
            address,
            name=fields.get("name", (0, ""))[1],
            company=fields.get("company", (0, ""))[1],
            phone=fields.get("phone", (0, ""))[1],
            source="merged",
        )
        for address, fields in best.items()
    }


# --- showing -------------------------------------------------------------------------------------------


def known(address: str, people: Mapping[str, Person]) -> Person:
    """Everything shown for ``address``: the merged facts, with the name and company filled in where the
    address itself tells them."""
    person = people.get(address) or Person(address, source="address")
    name = person.name or name_from_address(address)
    company = person.company or company_from_domain(domain_of(address))
    return replace(person, name=name, company=company)


def label(address: str, people: Mapping[str, Person], *, company: bool = True) -> str:
    """ "Mark Chen (Acme)", "Mark Chen", or the address itself when nothing better is known."""
    p = known(address, people)
    if not p.name:
        return address
    return f"{p.name} ({p.company})" if company and p.company else p.name


def first_name(address: str, people: Mapping[str, Person]) -> str:
    name = known(address, people).name
    return name.split()[0] if name else address


def who(contacts: Sequence[str], people: Mapping[str, Person]) -> str:
    """The contacts of a follow-up in a few words: the first one's label, "+N" for the others."""
    if not contacts:
        return "the contact"
    first = label(contacts[0], people)
    return first if len(contacts) == 1 else f"{first} +{len(contacts) - 1}"


def full(address: str, people: Mapping[str, Person]) -> str:
    """ "Mark Chen (Acme) <mark.chen@acme.example>" for the reminder's contact line."""
    shown = label(address, people)
    return address if shown == address else f"{shown} <{address}>"


def phone_line(phone: str) -> str:
    """ "+1 617-555-0199 (tel:+16175550199)": the number for a person, the link for a phone to dial."""
    if not phone.startswith("+"):
        return phone
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"{shown} (tel:{phone})"


@functools.cache
def zone_region(zone: str) -> str:
    """The country of an IANA zone from tzdata's zone.tab ("America/New_York" -> "US"), "" when unknown: the
    region for the rep's own numbers written without a country code."""
    import zoneinfo
    from pathlib import Path

    places = [Path(p) / "zone.tab" for p in zoneinfo.TZPATH]
    try:
        from importlib.resources import files

        places.append(Path(str(files("tzdata").joinpath("zoneinfo", "zone.tab"))))
    except (ModuleNotFoundError, TypeError):
        pass
    for path in places:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and not line.startswith("#") and fields[2] == zone:
                return fields[0]
    return ""
