"""The audit chain's rules, pure: how an event is sealed, and what a broken chain means.

No database and no files here, so each rule has a fast test of its own
(tests/unit/test_audit_chain.py); storage/audit.py reads the rows and the anchors and
hands them to `ChainCheck`.

- An event's `hash` is an HMAC-SHA256, under a key kept outside the database, of its
  canonical body: its number, the hash before it, when, who, what, which record, its
  detail, and the hash of the record's audited state. Without the key nobody can write
  an event that verifies, so a chain rewritten and re-hashed from the database alone
  (the attack of issue 16) no longer passes.
- Events written before the key existed (a database from before 0012) keep their plain
  SHA-256 hashes. The first keyed event, "audit.keyed", names the chain's head at that
  moment, and it is sealed with the key, so those older events are covered from then on:
  changing one changes every hash after it, up to a seal that cannot be redone.
- The head is anchored outside the database (its number and hash, appended to a file,
  each line sealed with the key), so deleting the newest events and rewinding the head,
  or wiping everything, is seen by comparing the chain with the anchors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
# The event that keys the chain from its own position on (once per database).
KEYED_ACTION = "audit.keyed"
# The state recorded for a record the change deleted.
DELETED = "deleted"


class Tampering(StrEnum):
    """Each kind of break `audit verify` names; the value is its name in the output."""

    WRONG_KEY = "wrong key"
    REWRITTEN = "rewritten event"
    RECHAINED = "re-chained without the key"
    FORGED = "forged appended event"
    MISSING = "missing event"
    TRUNCATED = "truncated or rewound"
    WIPED = "wiped"
    EDITED_RECORD = "edited record"
    ANCHOR = "anchor file altered"
    UNKEYED = "never keyed"


@dataclass(frozen=True)
class Finding:
    kind: Tampering
    seq: int | None
    text: str

    def line(self) -> str:
        return f"{self.kind.value}: {self.text}"


# -- canonical forms and seals ------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def canonical(value: Any) -> bytes:
    """One byte string for a JSON-like value, the same on every backend and every run."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain
    ).encode()


def event_body(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any],
    state: str | None = None,
) -> bytes:
    """What an event's hash covers. An event without a state hashes as events always
    did, so chains written before 0012 verify unchanged."""
    body: dict[str, Any] = {
        "seq": seq,
        "prev": prev_hash,
        "at": _plain(at),
        "actor": actor,
        "action": action,
        "entity": [entity_type, entity_id],
        "detail": detail,
    }
    if state is not None:
        body["state"] = state
    return canonical(body)


def plain_hash(body: bytes) -> str:
    """The unkeyed SHA-256 of events before the chain was keyed (and of any forgery)."""
    return hashlib.sha256(body).hexdigest()


def keyed_hash(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """Names a key without revealing it: the head and the seal event carry it, so a
    wrong key is told apart from a tampered chain."""
    return keyed_hash(key, b"safecontact audit key id")[:16]


def state_hash(values: dict[str, Any] | None) -> str:
    """The hash of a record's audited state (its columns), or DELETED for a row gone."""
    if values is None:
        return DELETED
    return hashlib.sha256(canonical(values)).hexdigest()


def anchor_seal(key: bytes, *, seq: int, digest: str, at: str) -> str:
    return keyed_hash(key, canonical({"anchor": [seq, digest, at]}))


# -- checking a chain ---------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One stored event, as the check needs it."""

    seq: int
    prev_hash: str
    hash: str
    action: str
    entity_type: str
    entity_id: str
    body: bytes
    detail: dict[str, Any]


@dataclass(frozen=True)
class Anchor:
    """One line of the anchor file: the head at a moment, sealed with the key."""

    seq: int
    hash: str
    at: str
    seal: str


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    keyed_from: int | None
    key_id: str | None


@dataclass
class ChainCheck:
    """Given the head and the anchors, fed the events in order; lists what is wrong.

    The head says from which event the chain is keyed: 1 for a chain keyed from its
    start, or the number of the "audit.keyed" seal written over older, unkeyed events.
    Each kind of break is named once, at its first event: the first break usually
    explains the rest (an event re-chained makes every later hash differ too).
    """

    key: bytes
    head: Head | None
    anchors: list[Anchor] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    _bad_from: int | None = None
    _unkeyed_from: int | None = None
    _at_anchor: dict[int, str] = field(default_factory=dict)
    _seen: set[Tampering] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._wanted = {a.seq for a in self.anchors}
        self.keyed_from = self.head.keyed_from if self.head is not None else None
        ours = key_id(self.key)
        if self.head is not None and self.head.key_id not in (None, ours):
            self._find(
                Tampering.WRONG_KEY,
                None,
                f"the chain is keyed with key {self.head.key_id}, this key is {ours}",
            )

    def _find(self, kind: Tampering, seq: int | None, text: str) -> None:
        if kind not in self._seen:
            self._seen.add(kind)
            self.findings.append(Finding(kind, seq, text))

    @property
    def wrong_key(self) -> bool:
        return Tampering.WRONG_KEY in self._seen

    def add(self, ev: Event) -> None:
        expected = self.last_seq + 1
        if ev.seq != expected:
            self._find(
                Tampering.MISSING,
                expected,
                f"event {expected} is missing (the next one held is {ev.seq})",
            )
        elif ev.prev_hash != self.last_hash:
            self._find(
                Tampering.REWRITTEN, ev.seq, f"event {ev.seq} does not follow the event before it"
            )
        keyed = self.keyed_from is not None and ev.seq >= self.keyed_from
        if keyed and ev.seq == self.keyed_from and ev.seq > 1:
            # The seal over older events: it must be one, made with this key.
            sealed_with = ev.detail.get("key_id") if ev.action == KEYED_ACTION else None
            if sealed_with is not None and sealed_with != key_id(self.key):
                self._find(
                    Tampering.WRONG_KEY,
                    ev.seq,
                    f"the chain was keyed at event {ev.seq} with key {sealed_with}, "
                    f"this key is {key_id(self.key)}",
                )
            elif sealed_with is None:
                self._find(
                    Tampering.REWRITTEN,
                    ev.seq,
                    f"event {ev.seq} should be the key's seal over the events before it, "
                    "and is not",
                )
        good = (
            hmac.compare_digest(keyed_hash(self.key, ev.body), ev.hash)
            if keyed
            else plain_hash(ev.body) == ev.hash
        )
        if not good and not self.wrong_key:
            if keyed and plain_hash(ev.body) == ev.hash:
                # A valid unkeyed hash where a keyed one belongs: recomputed without the key.
                if self._unkeyed_from is None:
                    self._unkeyed_from = ev.seq
            elif self._bad_from is None:
                self._bad_from = ev.seq
                self._find(
                    Tampering.REWRITTEN,
                    ev.seq,
                    f"event {ev.seq} ({ev.action} on {ev.entity_type} {ev.entity_id}) "
                    "was changed after it was written",
                )
        if ev.seq in self._wanted:
            self._at_anchor[ev.seq] = ev.hash
        self.last_seq, self.last_hash = ev.seq, ev.hash
        self.checked += 1

    def finish(self) -> list[Finding]:
        """The findings once every event was added: the head and the anchors compared.
        With the wrong key nothing else can be judged, so that is all it says."""
        if self.wrong_key:
            return [f for f in self.findings if f.kind is Tampering.WRONG_KEY]
        good_anchors = self._anchors_sealed()
        anchored = max((a.seq for a in good_anchors), default=0)
        if self._unkeyed_from is not None:
            n = self._unkeyed_from
            if n <= anchored:
                self._find(
                    Tampering.RECHAINED,
                    n,
                    f"events {n} to {self.last_seq} were re-hashed without the key "
                    f"(event {n} had been anchored with another hash)",
                )
            else:
                self._find(
                    Tampering.FORGED,
                    n,
                    f"events {n} to {self.last_seq} were added without the key "
                    f"(after the last anchored event, {anchored})",
                )
        head = self.head
        if head is None:
            self._find(Tampering.TRUNCATED, None, "the chain's head record is missing")
        elif head.seq != self.last_seq or head.hash != self.last_hash:
            self._find(
                Tampering.TRUNCATED,
                self.last_seq + 1,
                f"event {self.last_seq + 1} is missing: the chain ends at {self.last_seq} "
                f"but {head.seq} events were written",
            )
        for anchor in sorted(good_anchors, key=lambda a: a.seq):
            if anchor.seq > self.last_seq:
                if self.last_seq == 0:
                    self._find(
                        Tampering.WIPED,
                        1,
                        f"the chain is empty, but {anchor.seq} events were anchored at {anchor.at}",
                    )
                else:
                    self._find(
                        Tampering.TRUNCATED,
                        self.last_seq + 1,
                        f"the chain ends at event {self.last_seq}, but {anchor.seq} events "
                        f"were anchored at {anchor.at}",
                    )
            elif anchor.seq > 0 and self._at_anchor.get(anchor.seq) != anchor.hash:
                self._find(
                    Tampering.RECHAINED,
                    anchor.seq,
                    f"event {anchor.seq} is not the event anchored at {anchor.at}: "
                    "the history before it was rewritten",
                )
        if self.keyed_from is None and anchored and self.last_seq:
            self._find(
                Tampering.UNKEYED,
                None,
                "the chain carries no key, but the anchors show it was keyed",
            )
        return self.findings

    def _anchors_sealed(self) -> list[Anchor]:
        good = []
        for anchor in self.anchors:
            expected = anchor_seal(self.key, seq=anchor.seq, digest=anchor.hash, at=anchor.at)
            if hmac.compare_digest(expected, anchor.seal):
                good.append(anchor)
            else:
                self._find(
                    Tampering.ANCHOR,
                    anchor.seq,
                    f"the anchor of event {anchor.seq} at {anchor.at} is not sealed with this "
                    "key (the anchor file was edited, or this is the wrong key)",
                )
        return good


def compare_states(
    audited: dict[tuple[str, str], str], current: dict[tuple[str, str], str | None]
) -> list[tuple[str, str]]:
    """The records whose state today differs from the state their last event recorded.

    `audited` maps (entity type, id) to that last state hash; `current` to today's state
    hash, with None for a record no longer held. A record gone is not named: retention
    (s9) deletes records by date, recorded as one event for the purge.
    """
    differ = []
    for ref, state in audited.items():
        now = current.get(ref)
        if now is None:
            continue
        if now != state:
            differ.append(ref)
    return sorted(differ)
