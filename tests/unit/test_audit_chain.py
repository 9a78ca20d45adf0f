"""The audit chain's pure rules (storage/audit_chain.py): sealing, and naming each break."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from storage.audit_chain import (
    GENESIS,
    KEYED_ACTION,
    Anchor,
    ChainCheck,
    Event,
    Head,
    Tampering,
    anchor_seal,
    compare_states,
    event_body,
    key_id,
    keyed_hash,
    plain_hash,
    state_hash,
)

KEY = b"k" * 32
OTHER = b"o" * 32
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(seq: int, prev: str, *, key: bytes | None = KEY, actor: str = "staff:1", **kw) -> Event:
    action = kw.pop("action", "incident.reported")
    detail = kw.pop("detail", {})
    body = event_body(
        seq=seq,
        prev_hash=prev,
        at=AT,
        actor=actor,
        action=action,
        entity_type="incident",
        entity_id=str(seq),
        detail=detail,
    )
    digest = keyed_hash(key, body) if key is not None else plain_hash(body)
    return Event(seq, prev, digest, action, "incident", str(seq), body, detail)


def _chain(n: int, *, key: bytes | None = KEY) -> list[Event]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        ev = _event(seq, prev, key=key)
        events.append(ev)
        prev = ev.hash
    return events


def _check(events: list[Event], *, head: Head | None = None, anchors=(), key: bytes = KEY):
    if head is None:
        last = events[-1] if events else None
        head = Head(last.seq if last else 0, last.hash if last else GENESIS, 1, key_id(KEY))
    check = ChainCheck(key, head, anchors=list(anchors))
    for ev in events:
        check.add(ev)
    return check.finish()


def _anchor(seq: int, digest: str, *, key: bytes = KEY) -> Anchor:
    at = "2026-12-01T09:00:00+00:00"
    return Anchor(seq, digest, at, anchor_seal(key, seq=seq, digest=digest, at=at))


def kinds(findings) -> set[Tampering]:
    return {f.kind for f in findings}


def test_a_body_without_state_is_the_hash_events_had_before_the_key() -> None:
    # The pre-0012 formula, written out: old chains must verify unchanged.
    old = json.dumps(
        {
            "seq": 1,
            "prev": GENESIS,
            "at": "2026-12-01T09:00:00.000000+00:00",
            "actor": "a",
            "action": "b",
            "entity": ["t", "1"],
            "detail": {"x": 1},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    body = event_body(
        seq=1,
        prev_hash=GENESIS,
        at=AT,
        actor="a",
        action="b",
        entity_type="t",
        entity_id="1",
        detail={"x": 1},
    )
    assert plain_hash(body) == hashlib.sha256(old.encode()).hexdigest()
    with_state = event_body(
        seq=1,
        prev_hash=GENESIS,
        at=AT,
        actor="a",
        action="b",
        entity_type="t",
        entity_id="1",
        detail={"x": 1},
        state="s",
    )
    assert with_state != body


def test_a_keyed_chain_verifies_and_names_its_key_without_revealing_it() -> None:
    assert _check(_chain(4), anchors=[_anchor(4, _chain(4)[-1].hash)]) == []
    assert key_id(KEY) != key_id(OTHER) and len(key_id(KEY)) == 16
    assert KEY.hex()[:16] not in key_id(KEY)


def test_an_event_changed_in_place_is_a_rewrite() -> None:
    events = _chain(4)
    ev = events[1]
    events[1] = Event(ev.seq, ev.prev_hash, ev.hash, ev.action, "incident", "2", b"{}", {})
    found = _check(events)
    assert kinds(found) == {Tampering.REWRITTEN} and found[0].seq == 2


def test_rehashed_without_the_key_is_a_rechain_when_anchored_and_a_forgery_when_not() -> None:
    keyed = _chain(3)
    tail, prev = [], keyed[1].hash
    for seq in (3, 4):
        ev = _event(seq, prev, key=None, actor="staff:9")
        tail.append(ev)
        prev = ev.hash
    events = keyed[:2] + tail
    head = Head(4, prev, 1, key_id(KEY))
    rechained = _check(events, head=head, anchors=[_anchor(3, keyed[2].hash)])
    assert Tampering.RECHAINED in kinds(rechained)
    assert Tampering.FORGED not in kinds(rechained)
    forged = _check(events, head=head, anchors=[_anchor(2, keyed[1].hash)])
    assert kinds(forged) == {Tampering.FORGED}
    assert forged[0].seq == 3


def test_a_chain_shorter_than_its_anchor_is_truncated_and_an_empty_one_wiped() -> None:
    events = _chain(5)
    anchors = [_anchor(5, events[-1].hash)]
    short = _check(events[:3], anchors=anchors)
    assert kinds(short) == {Tampering.TRUNCATED} and short[0].seq == 4
    wiped = _check([], head=Head(0, GENESIS, None, None), anchors=anchors)
    assert kinds(wiped) == {Tampering.WIPED}


def test_a_missing_middle_event_and_a_head_ahead_of_the_chain_are_named() -> None:
    events = _chain(5)
    found = _check(events[:2] + events[3:])
    assert Tampering.MISSING in kinds(found)
    ahead = _check(events[:4], head=Head(5, events[4].hash, 1, key_id(KEY)))
    assert kinds(ahead) == {Tampering.TRUNCATED}


def test_a_wrong_key_is_all_that_is_said() -> None:
    events = _chain(3)
    found = _check(events, anchors=[_anchor(3, events[-1].hash)], key=OTHER)
    assert kinds(found) == {Tampering.WRONG_KEY}


def test_an_anchor_line_edited_is_named() -> None:
    events = _chain(3)
    forged = Anchor(9, "f" * 64, "2026-12-01T09:00:00+00:00", "0" * 64)
    assert kinds(_check(events, anchors=[forged])) == {Tampering.ANCHOR}


def test_older_unkeyed_events_are_covered_by_the_seal() -> None:
    events = _chain(2, key=None)
    seal = _event(
        3,
        events[-1].hash,
        action=KEYED_ACTION,
        detail={"key_id": key_id(KEY), "unkeyed_events": 2},
    )
    after = _event(4, seal.hash)
    chain = [*events, seal, after]
    head = Head(4, after.hash, 3, key_id(KEY))
    assert _check(chain, head=head) == []
    # The seal's place taken by an ordinary event: not the key's seal.
    plain = _event(3, events[-1].hash)
    found = _check([*events, plain, _event(4, plain.hash)], head=Head(4, "x", 3, key_id(KEY)))
    assert Tampering.REWRITTEN in kinds(found)


def test_records_differing_from_their_last_state_are_named_and_deleted_ones_are_not() -> None:
    audited = {("incident", "1"): state_hash({"a": 1}), ("incident", "2"): state_hash({"a": 2})}
    current = {("incident", "1"): state_hash({"a": 1}), ("incident", "2"): state_hash({"a": 3})}
    assert compare_states(audited, current) == [("incident", "2")]
    assert compare_states(audited, {("incident", "1"): None}) == []
    assert state_hash({"when": AT}) == state_hash({"when": AT.astimezone()})
