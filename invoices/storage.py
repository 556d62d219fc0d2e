"""Write-once file storage of rendered documents.

A PDF lives at `<directory>/<period>/<kind>/<number>.pdf`. An issued document
never changes, so neither does its file: storing the same bytes again (a
retried render activity) is a no-op that returns the same path and hash;
storing different bytes under an existing number is refused, because a
document that was sent must stay exactly what was sent.

Files appear atomically: written to a temporary file in the same directory,
flushed to disk, then linked into place, so a crash never leaves a half
PDF under a document's name and two racing writers cannot both win.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from domain.documents import IssuedDocument

__all__ = ["StoredPdf", "StoredPdfConflict", "pdf_path", "store_pdf"]

log = logging.getLogger(__name__)

# Numbers and periods become path parts: nothing that could climb out of `directory`.
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class StoredPdf:
    path: Path
    sha256: str


class StoredPdfConflict(ValueError):
    """A different PDF is already stored under this document's number."""


def pdf_path(directory: Path, issued: IssuedDocument) -> Path:
    """Where the PDF of `issued` is stored, derived from period, kind and number."""
    doc = issued.document
    for part in (doc.period, doc.kind.value, issued.number):
        if not _SAFE_PART.match(part) or ".." in part:
            raise ValueError(f"cannot store document {issued.number!r}: {part!r} is not a "
                             "safe file name part")
    return Path(directory) / doc.period / doc.kind.value / f"{issued.number}.pdf"


def store_pdf(directory: Path, issued: IssuedDocument, pdf: bytes) -> StoredPdf:
    """Store `pdf` once under the document's number and return its path and sha256."""
    if not pdf.startswith(b"%PDF-"):
        raise ValueError(f"refusing to store document {issued.number}: not a PDF")
    path = pdf_path(directory, issued)
    digest = hashlib.sha256(pdf).hexdigest()
    if issued.content_hash is not None and issued.content_hash != digest:
        raise StoredPdfConflict(
            f"document {issued.number} was issued with content hash {issued.content_hash}, "
            f"the PDF given hashes to {digest}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return _existing(path, issued, digest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{issued.number}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(pdf)
            tmp.flush()
            os.fsync(tmp.fileno())
        try:
            # link() fails if the name exists: of two racing writers exactly one wins,
            # where rename() would silently replace the other's file.
            os.link(tmp_name, path)
        except FileExistsError:
            return _existing(path, issued, digest)
    finally:
        os.unlink(tmp_name)
    log.info("stored %s (%s) at %s", issued.number, digest[:12], path)
    return StoredPdf(path, digest)


def _existing(path: Path, issued: IssuedDocument, digest: str) -> StoredPdf:
    stored = hashlib.sha256(path.read_bytes()).hexdigest()
    if stored != digest:
        raise StoredPdfConflict(
            f"document {issued.number} is already stored at {path} with different content "
            f"(sha256 {stored[:12]}…, new {digest[:12]}…); an issued document never changes"
        )
    return StoredPdf(path, digest)
