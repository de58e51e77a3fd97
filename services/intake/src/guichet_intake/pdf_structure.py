"""What a PDF really holds: parsed by pypdf in strict mode, every object looked at, so
nothing runs, reaches out or hides a file when an officer opens it (Art. 19-20)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from guichet_intake.verdict import ACCEPTED, MARKUP, PADDING, Verdict

# A scanned or exported document of a few hundred pages has a few thousand objects; each
# costs the parser about 0.1 ms, so the limit bounds what one upload may cost in CPU.
MAX_PDF_OBJECTS = 10_000

_PDF_STREAM = re.compile(rb"\bstream(?:\r\n|\r|\n).*?\bendstream\b", re.DOTALL)

DAMAGED_PDF = (
    "the PDF cannot be read (it is damaged or incomplete): "
    "save or export it again as PDF and upload it again"
)
TOO_MANY_OBJECTS = (
    f"the PDF is made of more than {MAX_PDF_OBJECTS:,} objects, far more than a document "
    "needs: print it to a new PDF (or split it) and upload it again"
)
PASSWORD = "the PDF is protected by a password: remove the protection and upload it again"
JAVASCRIPT = "the PDF contains JavaScript: remove it and upload again"
AUTOMATIC_ACTION = (
    "the PDF runs an action when it is opened or viewed: "
    "remove the action (or print it to a new PDF) and upload again"
)
LAUNCH = "the PDF tries to start another program: remove that action and upload again"
REMOTE_ACTION = (
    "the PDF contains an action that sends data or opens other files: "
    "remove it (or print it to a new PDF) and upload again"
)
EMBEDDED_FILE = (
    "the PDF contains an attached file: upload each document as a PDF of its own, "
    "without attachments"
)
XFA = "the PDF is an XFA form: print it to a plain PDF and upload that"
RICH_MEDIA = "the PDF contains embedded media (video, sound or Flash): remove it and upload again"
PDF_MARKUP = (
    "the PDF also contains HTML or script code: save it again as a plain PDF "
    "(or print it to a new PDF) and upload that"
)
PDF_TRAILER = (
    "the PDF has extra data after its end, which would make it another kind of file too: "
    "save it again as PDF and upload that"
)

# Action types (PDF 32000-1 §12.6.4) that run code, start programs or reach outside.
_ACTIONS = {
    "/JavaScript": JAVASCRIPT,
    "/Launch": LAUNCH,
    "/SubmitForm": REMOTE_ACTION,
    "/ImportData": REMOTE_ACTION,
    "/GoToR": REMOTE_ACTION,
    "/GoToE": REMOTE_ACTION,
    "/RichMediaExecute": RICH_MEDIA,
    "/Rendition": RICH_MEDIA,
    "/Movie": RICH_MEDIA,
    "/Sound": RICH_MEDIA,
}
_PRIORITY = [JAVASCRIPT, LAUNCH, EMBEDDED_FILE, XFA, RICH_MEDIA, REMOTE_ACTION, AUTOMATIC_ACTION]
_KEYS = {
    "/JS": JAVASCRIPT,
    "/JavaScript": JAVASCRIPT,
    "/AA": AUTOMATIC_ACTION,
    "/EmbeddedFiles": EMBEDDED_FILE,
    "/EmbeddedFile": EMBEDDED_FILE,
    "/EF": EMBEDDED_FILE,
    "/XFA": XFA,
    "/RichMediaContent": RICH_MEDIA,
    "/RichMediaSettings": RICH_MEDIA,
}
_TYPES = {
    "/EmbeddedFile": EMBEDDED_FILE,
    "/FileAttachment": EMBEDDED_FILE,
    "/RichMedia": RICH_MEDIA,
    "/Movie": RICH_MEDIA,
    "/Sound": RICH_MEDIA,
    "/Screen": RICH_MEDIA,
}


def examine_pdf(content: bytes) -> Verdict:
    end = content.rfind(b"%%EOF")
    if end < 0:
        return Verdict(DAMAGED_PDF)
    if content[end + len(b"%%EOF") :].strip(PADDING):
        return Verdict(PDF_TRAILER)
    if MARKUP.search(_PDF_STREAM.sub(b"", content)):
        return Verdict(PDF_MARKUP)
    try:
        reader = PdfReader(io.BytesIO(content), strict=True)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return Verdict(PASSWORD)
        listed = sum(map(len, reader.xref.values())) + len(reader.xref_objStm)
        if listed > MAX_PDF_OBJECTS:
            return Verdict(TOO_MANY_OBJECTS)
        refusal = _active_content(reader)
        if refusal is None and len(reader.pages) == 0:
            return Verdict(DAMAGED_PDF)
    except Exception:  # a hostile file can make any parser fail in any way: it is unreadable
        return Verdict(DAMAGED_PDF)
    return Verdict(refusal) if refusal else ACCEPTED


def _active_content(reader: PdfReader) -> str | None:
    """The most telling of what, in any object of the file, runs, reaches out or hides
    a file (a script run on opening is reported as JavaScript, whatever the objects'
    order).

    Every object the cross-reference tables list is read (those in object streams too),
    not only those reachable from the catalogue: a viewer may find the others.
    """
    found: set[str] = set()
    for top in _objects(reader):
        for dictionary in _dictionaries(top):
            found.update(_refusals(dictionary))
            if JAVASCRIPT in found:
                return JAVASCRIPT
    return min(found, key=_PRIORITY.index, default=None)


def _refusals(dictionary: DictionaryObject) -> Iterator[str]:
    for key, item in dictionary.items():
        value = item.get_object() if isinstance(item, IndirectObject) else item
        refusal = _KEYS.get(key)
        if key == "/OpenAction":
            # A destination (an array) only opens a page; a dictionary is an action.
            refusal = None if isinstance(value, ArrayObject) else AUTOMATIC_ACTION
        elif key == "/S":
            refusal = _ACTIONS.get(str(value))
        elif key in ("/Type", "/Subtype"):
            refusal = _TYPES.get(str(value))
        elif key == "/URI":
            refusal = _link(value)
        if refusal:
            yield refusal


def _link(uri: object) -> str | None:
    """A web or mail link is no active content; ``javascript:``, ``file:`` and the like are."""
    target = str(uri).strip().lower()
    if target.startswith(("https://", "http://", "mailto:")):
        return None
    return JAVASCRIPT if target.startswith("javascript:") else REMOTE_ACTION


def _objects(reader: PdfReader) -> Iterator[PdfObject | None]:
    yield reader.trailer
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        yield reader.get_object(number)


def _dictionaries(top: PdfObject | None) -> Iterator[DictionaryObject]:
    """Every dictionary inside one object (streams' dictionaries included), without
    following references: the referenced objects are visited on their own."""
    pending = [top]
    while pending:
        item = pending.pop()
        if isinstance(item, DictionaryObject):
            yield item
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
