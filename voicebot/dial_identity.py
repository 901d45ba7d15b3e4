"""Who an outgoing leg really reaches: one canonical E.164 number for any way a URI can be written.

Every outbound path (campaign attempts, ``voicebot call``, supervisor call-outs, transfers) asks
``dial_identity`` before the compliance gate, so do-not-call, hours and the cap see the same number
however the target was spelled:

* the scheme in any case (``SIP:``, ``Sips:``, ``TEL:``) or none, a display name (``"x" <sip:…>``),
  URI parameters and headers (``;user=phone``, ``?subject=…``);
* percent-encoding, applied more than once (``%2B86…``, ``%252B86…``) and full-width digits;
* letters around the digits (``TEL13912345678``): an account name does not make a number staff;
* visual separators (``-``, ``.``, ``()``, spaces), caller-id codes (``*67``, ``*82``, ``#31#``),
  an outside-line digit (``9``, ``0``), ``+``, ``00``/``0086`` and national forms.

Dial strings can be ambiguous (``9`` as an outside line, or part of the number): the first valid
reading is the customer's number, and every valid reading is kept in ``readings`` so do-not-call
refuses the call if *any* of them is listed. A user part with fewer than ``MIN_PHONE_DIGITS`` digits
(``sip:boss@pbx``, extension ``1001``) is no phone number: the gate lets it through only when it is
on the staff account list (``StaffList``), since a PBX may route any name to anyone. One with
enough digits that is no valid number is ``unparseable``: the gate refuses it (fail closed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

MIN_PHONE_DIGITS = 7
_SCHEME = re.compile(r"^\s*(?:sips?|tels?)\s*:", re.IGNORECASE)
_CALLER_ID_CODES = ("*67", "*82", "*31#", "#31#")
_ACCESS_DIGITS = ("9", "0")  # an outside line on a PBX


@dataclass(frozen=True)
class DialIdentity:
    raw: str
    user: str  # the decoded user part (what the PBX is asked to dial)
    number: str | None  # canonical E.164, None when this is no phone number
    readings: tuple[str, ...] = ()  # every valid E.164 reading (number first)
    unparseable: bool = False  # enough digits for a phone number, but no valid reading

    @property
    def is_number(self) -> bool:
        return self.number is not None or self.unparseable


def _decode(text: str) -> str:
    """Percent-decoded until stable (an attacker may encode twice), NFKC (full-width digits)."""
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return unicodedata.normalize("NFKC", text)


def _addr_spec(uri: str) -> str:
    """``user@host;params`` of a URI: decoded, no display name, no scheme (``sip:tel:…`` too)."""
    text = _decode(str(uri)).strip()
    if "<" in text:  # name-addr: "Display" <sip:user@host;params>
        inner = text[text.index("<") + 1:]
        text = inner.split(">", 1)[0]
    text = text.strip().strip('"').strip()
    while (m := _SCHEME.match(text)) is not None:
        text = text[m.end():]
    return text


def user_part(uri: str) -> str:
    """The dialled user of a SIP/tel URI or a bare dial string: no display name, scheme, host,
    parameters or headers."""
    return re.split(r"[@;?>]", _addr_spec(uri), maxsplit=1)[0].strip()


def account_key(uri: str) -> tuple[str, str]:
    """A named destination as (user, host), lower-case, without scheme, port or parameters: how
    staff accounts are matched (``sip:Boss@PBX:5060;transport=tcp`` is ``("boss", "pbx")``)."""
    text = re.split(r"[;?>]", _addr_spec(uri), maxsplit=1)[0]
    user, _, host = text.partition("@")
    if host.startswith("["):  # IPv6 literal: [::1]:5060
        host = host[: host.find("]") + 1]
    else:
        host = host.rsplit(":", 1)[0] if ":" in host else host
    return user.strip().lower(), host.strip().lower()


def _dial_string(user: str) -> str:
    """Only what a phone dials: digits, + * # (letters and separators dropped)."""
    return "".join(c for c in user if c.isdigit() or c in "+*#")


def _prefix_forms(dial: str) -> list[str]:
    """``dial`` and what remains after stripping caller-id codes and outside-line digits from its
    start, in any order (``9*67…``, ``*679…``), at most three of them; ``*``/``#`` then dropped."""
    forms, frontier = [dial], [dial]
    for _ in range(3):
        nxt = [f[len(code):] for f in frontier for code in _CALLER_ID_CODES if f.startswith(code)]
        nxt += [f[1:] for f in frontier if f[:1] in _ACCESS_DIGITS and len(f) > MIN_PHONE_DIGITS]
        frontier = [f for f in dict.fromkeys(nxt) if f not in forms]
        forms += frontier
    # A form still holding a service code is the least likely reading: it goes last.
    forms.sort(key=lambda f: "*" in f or "#" in f)
    return list(dict.fromkeys(f.replace("*", "").replace("#", "") for f in forms))


def _valid(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _readings(dial: str, region: str) -> list[str]:
    """Valid E.164 readings: as dialled, then without prefixes (``_prefix_forms``), in the national
    form of ``region`` first, then as international numbers."""
    forms = _prefix_forms(dial)
    # National readings first: the PBX dials in its own country, "9" is an outside line there.
    attempts = [(f, region) for f in forms] + [("+" + f.lstrip("+"), None) for f in forms]
    out: list[str] = []
    for text, reg in attempts:
        e164 = _valid(text, reg)
        if e164 and e164 not in out:
            out.append(e164)
    return out


def dial_identity(uri: str, region: str = "CN") -> DialIdentity:
    """The customer a URI or dial string reaches (see the module doc)."""
    if not isinstance(uri, str):
        raise TypeError(f"a dial target must be a string, got {type(uri).__name__}")
    user = user_part(uri)
    dial = _dial_string(user)
    if sum(c.isdigit() for c in dial) < MIN_PHONE_DIGITS:
        return DialIdentity(uri, user, None)
    readings = _readings(dial, region)
    if not readings:
        return DialIdentity(uri, user, None, (), unparseable=True)
    return DialIdentity(uri, user, readings[0], tuple(readings))


def customer_number(uri: str, region: str = "CN") -> str | None:
    """The canonical E.164 number a URI dials, or None when it dials no valid phone number."""
    return dial_identity(uri, region).number


@dataclass(frozen=True)
class StaffList:
    """Destinations that are staff, not customers: numbers (every E.164 reading) and named accounts
    (``account_key``; an entry without a host matches that user on any host)."""
    numbers: frozenset[str] = frozenset()
    accounts: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str], region: str = "CN") -> StaffList:
        """Each entry a phone number (in any spelling) or a named account."""
        numbers: set[str] = set()
        accounts: set[tuple[str, str]] = set()
        for entry in entries:
            ident = dial_identity(entry, region)
            if ident.number:
                numbers.update(ident.readings)
            elif ident.user and not ident.unparseable:
                accounts.add(account_key(entry))
        return cls(frozenset(numbers), frozenset(accounts))

    def covers(self, ident: DialIdentity) -> bool:
        if ident.number is not None:
            # Every reading must be staff: "9" + a staff number must not unlock another reading.
            return all(r in self.numbers for r in ident.readings)
        if ident.unparseable:
            return False
        user, host = account_key(ident.raw)
        return (user, host) in self.accounts or (user, "") in self.accounts
