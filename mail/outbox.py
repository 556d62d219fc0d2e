"""Reading the embedded outbox: what would have been sent, newest last. The
CLI (`energycloud outbox`) and, later, the platform admins' portal page list it
with `list_outbox` and open one message with `read_message`."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

__all__ = ["OutboxEntry", "list_outbox", "read_message"]


@dataclass(frozen=True)
class OutboxEntry:
    index: int  # 1-based position in the listing (`energycloud outbox --show N`)
    name: str  # file name under the outbox folder
    date: str
    sender: str
    to: str
    subject: str
    attachments: tuple[str, ...]


def _files(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.eml")) if Path(directory).is_dir() else []


def read_message(path: Path) -> EmailMessage:
    return email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)


def list_outbox(directory: str | Path) -> list[OutboxEntry]:
    entries = []
    for n, path in enumerate(_files(Path(directory)), start=1):
        msg = read_message(path)
        entries.append(OutboxEntry(
            index=n, name=path.name, date=str(msg["Date"] or ""), sender=str(msg["From"] or ""),
            to=str(msg["To"] or ""), subject=str(msg["Subject"] or ""),
            attachments=tuple(p.get_filename() or "" for p in msg.iter_attachments()),
        ))
    return entries


def message_path(directory: str | Path, index: int) -> Path:
    files = _files(Path(directory))
    if not 1 <= index <= len(files):
        raise LookupError(f"the outbox has {len(files)} messages; there is no number {index}")
    return files[index - 1]
