"""Uploaded documents (Art. 19-20): checked before anything is stored.

A document must be a PDF, JPEG or PNG whose bytes say what its label says (the first
bytes are sniffed, the declared type is not trusted), under the size limit, match the
checksum the filer computed (so a truncated upload is refused, not stored), and be, once
parsed, a plain document of that type and nothing else (``document_structure``).

A refusal names the document by its place in the form and its kind, never by its file
name or content: the name is personal data (it is stored sealed) and the content too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from guichet_contracts.vocabulary import DocumentKind
from guichet_intake.document_structure import examine

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 20
FORM_BYTES = 1024 * 1024  # the form around its documents, names and checksums included
# The largest filing or supplement body: every document at its limit, in base64
# (4 characters for 3 bytes); anything larger is refused (413) before it is read.
MAX_BODY_BYTES = MAX_DOCUMENTS * 4 * -(-MAX_DOCUMENT_BYTES // 3) + FORM_BYTES

_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


class DocumentRejected(ValueError):
    def __init__(self, index: int, kind: DocumentKind, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.kind = kind
        self.reason = reason

    @property
    def detail(self) -> str:
        """The refusal as its sender reads it: which document, and what to do."""
        return f"document {self.index + 1} ({self.kind.value}): {self.reason}"


@dataclass(frozen=True)
class CheckedDocument:
    kind: DocumentKind
    filename: str
    media_type: str
    content: bytes
    sha256: str


def sniff(content: bytes) -> str | None:
    """The media type the first bytes claim, among those we accept."""
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
    def refuse(reason: str) -> DocumentRejected:
        return DocumentRejected(index, kind, reason)

    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise refuse("content_base64 is not valid base64") from error
    if not content:
        raise refuse("the document is empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise refuse(
            f"it is {len(content)} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes: "
            "scan it at a lower resolution or split it"
        )
    actual = sniff(content)
    if actual is None:
        raise refuse("it is not a PDF, JPEG or PNG file: upload it in one of these formats")
    if actual != media_type:
        raise refuse(f"it is labelled {media_type} but its content is {actual}")
    digest = hashlib.sha256(content).hexdigest()
    if sha256 is not None and sha256.lower() != digest:
        raise refuse("checksum mismatch (the upload is incomplete or altered): upload it again")
    verdict = examine(content, actual)
    if verdict.refusal is not None:
        raise refuse(verdict.refusal)
    return CheckedDocument(kind, filename, actual, content, digest)
