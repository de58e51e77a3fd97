"""Uploaded documents (Art. 19-20): checked before anything is stored.

A document must be a PDF, JPEG or PNG whose bytes say what its label says (the first
bytes are sniffed, the declared type is not trusted), under the size limit, and match
the checksum the filer computed, so a truncated upload is refused, not stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from guichet_contracts.vocabulary import DocumentKind

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 20

_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


class DocumentRejected(ValueError):
    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


@dataclass(frozen=True)
class CheckedDocument:
    kind: DocumentKind
    filename: str
    media_type: str
    content: bytes
    sha256: str


def sniff(content: bytes) -> str | None:
    """The media type the bytes actually have, among those we accept."""
    for media_type, signatures in _SIGNATURES.items():
        if content.startswith(signatures):
            return media_type
    return None


def check_document(
    index: int,
    *,
    kind: DocumentKind,
    filename: str,
    media_type: str,
    content_base64: str,
    sha256: str | None,
) -> CheckedDocument:
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DocumentRejected(index, "content_base64 is not valid base64") from error
    if not content:
        raise DocumentRejected(index, "the document is empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentRejected(
            index, f"{filename} is {len(content)} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes"
        )
    actual = sniff(content)
    if actual is None:
        raise DocumentRejected(index, f"{filename} is not a PDF, JPEG or PNG file")
    if actual != media_type:
        raise DocumentRejected(
            index, f"{filename} is labelled {media_type} but its content is {actual}"
        )
    digest = hashlib.sha256(content).hexdigest()
    if sha256 is not None and sha256.lower() != digest:
        raise DocumentRejected(
            index, f"{filename}: checksum mismatch (the upload is incomplete or altered)"
        )
    return CheckedDocument(kind, filename, actual, content, digest)
