"""Text from people, in and out: the one module that says what a character may do.

Anything a member of staff typed (a name, an agency, what happened) or that came from a
directory can hold characters that mean something to the surface it lands on: `<!channel>`
to Slack, `[a](b)` to Teams markdown, `<script>` to a browser, ESC ] to a terminal,
`=HYPERLINK(` to a spreadsheet, U+202E (right-to-left override) to every one of them.

Two halves (docs/security.md, "Text from users"):

- **In**: `clean_input` is applied where a form's values are parsed (dialogs/validation.py,
  one place for Slack, Teams and the web chat). It normalises to NFC, refuses NUL, lone
  surrogates and control characters other than newline and tab (`UnsafeText`, which the
  form shows under the field), and removes the invisible characters that only disguise:
  explicit bidi embeddings, overrides and isolates, and zero-width spaces/joiners that
  no name or report needs (ZWNJ and ZWJ stay: Persian, Indic scripts and emoji need them).
- **Out**: one function per surface, each of which first drops what `clean_input` would have
  refused or removed (text stored before this rule, or from a directory or the CLI, never
  passed through it) and then escapes for that surface: `slack_mrkdwn`, `slack_plain`,
  `card_markdown` (Teams Adaptive Card TextBlock), `html`, `terminal`, `csv_cell`,
  `filename`. `isolate` wraps text holding right-to-left characters in FSI...PDI so that
  a name cannot reorder the sentence around it (in HTML: `<bdi>`).

Pure functions, no imports of ours: cards/, dialogs/ and bot/ all use them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from markupsafe import Markup, escape

# C0 and C1 controls and DEL, except tab and newline (and CR, which is turned into \n).
_CONTROLS = "".join(
    chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"
)
# Explicit bidi formatting: LRE RLE PDF LRO RLO, LRI RLI FSI PDI. The marks (LRM, RLM, ALM)
# change no neighbour's direction and stay.
BIDI_FORMATTING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Invisible and without a use in a name or a report: zero-width space, word joiner, zero
# width no-break space (BOM), Mongolian vowel separator, soft hyphen, line/para separators.
ZERO_WIDTH = "\u200b\u2060\ufeff\u180e\u00ad"
_SEPARATORS = "\u2028\u2029"

_REFUSED = re.compile(f"[{re.escape(_CONTROLS)}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_REMOVED = re.compile(f"[{re.escape(BIDI_FORMATTING + ZERO_WIDTH)}]")
# What no outgoing text carries, whatever its surface.
_UNSAFE_OUT = re.compile(f"[{re.escape(_CONTROLS + BIDI_FORMATTING + ZERO_WIDTH)}\ud800-\udfff]")
# What no rendered payload carries: as above, but the isolates stay (the filters add them).
_UNSAFE_PAYLOAD = re.compile(
    f"[{re.escape(_CONTROLS + BIDI_FORMATTING[:5] + ZERO_WIDTH)}\ud800-\udfff]"
)
_NEWLINES = re.compile("\r\n?|[\u2028\u2029]")

FSI = "\u2068"  # first strong isolate
PDI = "\u2069"  # pop directional isolate
_RTL_CLASSES = frozenset({"R", "AL", "AN"})


class UnsafeText(ValueError):
    """Typed text holding a character that cannot be stored; the message is for the form."""


def clean_input(text: str) -> str:
    """Text as it is stored: NFC, CR LF as LF, invisible disguises removed.

    Raises UnsafeText for NUL, lone surrogates and other control characters: refused,
    not silently dropped, because they never come from a keyboard and the person should
    know their text was not kept as sent.
    """
    if _SURROGATE.search(text):
        raise UnsafeText("This text holds a broken character; please retype it.")
    if "\x00" in text:
        raise UnsafeText("This text holds a NUL character; please retype it.")
    text = _NEWLINES.sub("\n", text)
    if _REFUSED.search(text):
        raise UnsafeText("This text holds a control character (such as Escape); please retype it.")
    return unicodedata.normalize("NFC", _REMOVED.sub("", text))


def plain(text: Any) -> str:
    """Any text made safe to show anywhere: str, CR LF as LF, no controls or disguises."""
    return _UNSAFE_OUT.sub("", _NEWLINES.sub("\n", str(text)))


def scrub(text: str) -> str:
    """A rendered string (composed by a template, isolates included) without controls,
    overrides, embeddings or zero-width characters: what a payload walk applies."""
    if _UNSAFE_PAYLOAD.search(text) is None and "\r" not in text:
        return text
    return _UNSAFE_PAYLOAD.sub("", _NEWLINES.sub("\n", text))


# In JSON text (Jinja's tojson writes every non-ASCII character as \\uNNNN): a character
# `scrub` would remove, raw or escaped. Text without one needs no walk (most payloads).
def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text)


def isolate(text: Any) -> str:
    """Bidi isolation for text surfaces (Slack, Teams, plain-text letters).

    Only text holding a right-to-left character is wrapped: isolating a left-to-right
    name in a left-to-right sentence changes nothing anyone sees, and the isolates are
    characters that copy-and-paste and search would otherwise carry.
    """
    text = plain(text)
    return f"{FSI}{text}{PDI}" if has_rtl(text) else text


def slack_escape(text: Any) -> str:
    """Slack mrkdwn for text already composed (a message's fallback `text`, a file's
    `initial_comment`): & < > are what make mentions (`<!channel>`, `<@U1>`) and links
    (`<url|label>`); escaped, they show literally."""
    return scrub(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(text: Any) -> str:
    """Slack mrkdwn for one value from people (a name, what happened), isolated."""
    return slack_escape(isolate(text))


def slack_plain(text: Any) -> str:
    """Slack plain_text (headers, buttons, options, modal titles): nothing is markup."""
    return isolate(text)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")


def card_markdown(text: Any) -> str:
    """Teams Adaptive Card TextBlock: backslash-escape what would format or link."""
    return _MD_SPECIAL.sub(r"\\\1", isolate(text))


def card_fallback(text: Any) -> str:
    """A Teams card's `fallbackText` (composed by a template, shown where the card cannot
    be): it may be read as markdown, but backslashes would show in notifications, so only
    what makes a link is broken: `](` becomes `] (`."""
    return scrub(str(text)).replace("](", "] (")


def html(text: Any) -> Markup:
    """HTML (letters, exports): escaped, and right-to-left text in `<bdi>`."""
    if isinstance(text, Markup):
        return text
    cleaned = plain(text)
    escaped = escape(cleaned)
    return Markup(f"<bdi>{escaped}</bdi>") if has_rtl(cleaned) else escaped


def _visible(match: re.Match[str]) -> str:
    c = match.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


_TERMINAL_UNSAFE = re.compile(
    f"[{re.escape(_CONTROLS + BIDI_FORMATTING + ZERO_WIDTH + _SEPARATORS)}\ud800-\udfff]"
)


def terminal(text: Any) -> str:
    """A terminal (the CLI's output): controls and invisible formatting shown as \\xNN or
    \\uNNNN, so ESC and OSC sequences cannot move the cursor, retitle the window or hide
    a line, and an operator sees that they were there. Newline and tab stay."""
    return _TERMINAL_UNSAFE.sub(_visible, str(text).replace("\r\n", "\n"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell: text starting with = + - @ (or tab, CR) is what a spreadsheet runs as a
    formula (=HYPERLINK, =cmd|...), so it gets a leading apostrophe, which spreadsheets
    show as text. Numbers and other non-text values are left as they are."""
    if not isinstance(value, str):
        return value
    text = plain(value)
    return (
        "'" + text if value.startswith(_FORMULA_START) or text.startswith(_FORMULA_START) else text
    )


_JSON_UNSAFE = re.compile(
    f"[{re.escape(_CONTROLS + BIDI_FORMATTING + ZERO_WIDTH + _SEPARATORS)}\ud800-\udfff]"
)


def json_text(dumped: str) -> str:
    """JSON text (json.dumps with ensure_ascii=False) with every control and invisible
    formatting character written as a \\uNNNN escape: the same data, safe to `cat`.
    Such characters can only be inside strings, where the escape means the same."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(name: Any, default: str = "file") -> str:
    """A file name anyone may see (a Slack upload, an attachment): ASCII letters, digits,
    dot, dash and underscore; no path, no markup, no leading dot."""
    safe = _FILENAME_UNSAFE.sub("-", str(name)).strip("-.")
    return safe[:120] or default


def walk(value: Any, fn: Any) -> Any:
    """`fn` applied to every string in a JSON-like value (a rendered payload)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [walk(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: walk(v, fn) for k, v in value.items()}
    return value
