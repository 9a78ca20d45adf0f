"""The audit trail's two files outside the database: its key, and its anchors.

- **The key** (32 random bytes, hex) seals every event (storage/audit_chain.py). It is
  made at the first write if there is none, readable by its owner only (0600), and the
  log says where it is and to back it up apart from the database: without it the chain
  can no longer be verified, and with it anyone who can write to the database could
  forge events, so it belongs with the other secrets, not with the database's copies.
- **The anchors**: one JSON line per anchoring, the head's number, hash and time, sealed
  with the key; only ever appended to. `audit verify` compares the chain with them.

Where, the first that is set: the environment (SAFECONTACT_AUDIT_KEY_FILE,
SAFECONTACT_AUDIT_ANCHOR_FILE), the configuration (`[audit] key_file`, `anchor_file`),
else beside a SQLite database (`safecontact.db.audit-key`, `safecontact.db.audit-anchors`);
for PostgreSQL, `safecontact-audit.key` in the working directory and the anchors beside
the key, named after the database.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.audit_chain import Anchor, anchor_seal

log = logging.getLogger(__name__)

KEY_ENV = "SAFECONTACT_AUDIT_KEY_FILE"
ANCHOR_ENV = "SAFECONTACT_AUDIT_ANCHOR_FILE"
KEY_BYTES = 32
# Where each session of a Database finds them (Session.info).
SESSION_INFO = "safecontact.audit_files"


class AuditKeyError(Exception):
    """The key cannot be read or made; str() is the operator's one line."""


def default_paths(url: URL | str) -> tuple[Path, Path]:
    """Where the key and the anchors go when nothing says otherwise."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database)
        return db.with_name(db.name + ".audit-key"), db.with_name(db.name + ".audit-anchors")
    key = Path("safecontact-audit.key")
    return key, key.with_name(f"{url.database or 'safecontact'}.audit-anchors")


def resolve(
    url: URL | str, *, key_file: str | None = None, anchor_file: str | None = None
) -> AuditFiles:
    """The files for this database: the environment, then the configuration, then the
    defaults (the anchors beside the key when only the key is placed)."""
    default_key, default_anchor = default_paths(url)
    key = os.environ.get(KEY_ENV) or key_file
    anchor = os.environ.get(ANCHOR_ENV) or anchor_file
    key_path = Path(key) if key else default_key
    if anchor:
        anchor_path = Path(anchor)
    elif key and make_url(url).get_backend_name() != "sqlite":
        anchor_path = key_path.with_name(default_anchor.name)
    else:
        anchor_path = default_anchor
    return AuditFiles(key_path=key_path, anchor_path=anchor_path)


@dataclass
class AuditFiles:
    key_path: Path
    anchor_path: Path
    # True once this process made the key (the log and `doctor` say to back it up).
    created: bool = False
    _key: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> bytes:
        """The key, read once; made (0600) if there is none yet."""
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load_or_create()
        return self._key

    def exists(self) -> bool:
        return self._key is not None or self.key_path.exists()

    def _load_or_create(self) -> bytes:
        try:
            return _read_key(self.key_path)
        except FileNotFoundError:
            pass
        folder = self.key_path.parent
        if not folder.is_dir():
            raise AuditKeyError(
                f"cannot make the audit key at {self.key_path}: {folder} is not a folder"
            )
        partial = folder / f".{self.key_path.name}.{secrets.token_hex(4)}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(KEY_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(partial, self.key_path)  # all or nothing, and never over another
                self.created = True
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            partial.unlink(missing_ok=True)
        if self.created:
            log.warning(
                "made the audit trail's key at %s (readable by this user only); back it up "
                "now, apart from the database's backups: without it the audit trail cannot be "
                "verified",
                self.key_path,
            )
        return _read_key(self.key_path)

    # -- anchors --------------------------------------------------------------------------

    def append_anchor(self, *, seq: int, digest: str, at: datetime) -> None:
        """One line at the end of the anchor file, on disk before this returns."""
        when = at.astimezone(UTC).isoformat(timespec="seconds")
        line = {
            "at": when,
            "seq": seq,
            "hash": digest,
            "seal": anchor_seal(self.key, seq=seq, digest=digest, at=when),
        }
        fd = os.open(self.anchor_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def anchors(self) -> list[Anchor]:
        """Every anchor line; a line that cannot be read is kept as one that fails its seal."""
        try:
            text = self.anchor_path.read_text()
        except FileNotFoundError:
            return []
        found = []
        for n, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                found.append(
                    Anchor(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["seal"]))
                )
            except (ValueError, KeyError, TypeError):
                found.append(Anchor(0, "", f"line {n} of {self.anchor_path}", ""))
        return found


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except PermissionError as exc:
        raise AuditKeyError(f"cannot read the audit key at {path}: {exc.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuditKeyError(f"{path} does not hold an audit key (64 hexadecimal characters)")
    return key
