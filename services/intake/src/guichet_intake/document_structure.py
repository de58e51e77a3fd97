"""What an uploaded document really is: its structure parsed, not its first bytes.

Officers of the regions and of the Immigration Office open what applicants upload
(Art. 19-20), so a document must be a plain PDF, PNG or JPEG and nothing else: no
content that runs when it is opened, nothing attached or hidden inside, and no second
format behind the first (a "polyglot", e.g. a PDF that is also an HTML page). PDFs are
parsed by pypdf in strict mode and every object is looked at; images are verified and
decoded by Pillow under a pixel limit. Pure: bytes in, a verdict out; every refusal says
what a person can do about it and never repeats the document's content.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image
from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

# An A4 page scanned at 600 dpi has about 35 million pixels; decoding one costs about
# 3 bytes a pixel, so the limit also bounds what one upload may make intake allocate.
MAX_IMAGE_PIXELS = 40_000_000

# A scanned or exported document of a few hundred pages has a few thousand objects; each
# costs the parser about 0.1 ms, so the limit bounds what one upload may cost in CPU.
MAX_PDF_OBJECTS = 10_000

# What a PDF, PNG or JPEG may carry after its end marker: the padding some writers add.
_PADDING = b"\x00\t\n\f\r "
# HTML or script that a browser or an interpreter would run if the file were read as
# another format; none of these is a PDF token, and a plain image's text carries none.
_MARKUP = re.compile(
    rb"<\s*(?:script|html|body|head|iframe|object|embed|svg|meta|form|!doctype|\?php)\b",
    re.IGNORECASE,
)
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


@dataclass(frozen=True)
class Verdict:
    """Whether a document may be stored, and if not, why, in words its sender acts on."""

    refusal: str | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


ACCEPTED = Verdict()


def examine(content: bytes, media_type: str) -> Verdict:
    """The verdict on ``content``, whose first bytes already said it is ``media_type``."""
    if media_type == "application/pdf":
        return _examine_pdf(content)
    if media_type == "image/png":
        return _examine_image(content, "PNG", _png_end(content))
    if media_type == "image/jpeg":
        return _examine_image(content, "JPEG", _jpeg_end(content))
    raise ValueError(f"no structure check for {media_type}")


def _examine_pdf(content: bytes) -> Verdict:
    end = content.rfind(b"%%EOF")
    if end < 0:
        return Verdict(DAMAGED_PDF)
    if content[end + len(b"%%EOF") :].strip(_PADDING):
        return Verdict(PDF_TRAILER)
    if _MARKUP.search(_PDF_STREAM.sub(b"", content)):
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


def _examine_image(content: bytes, image_format: str, end: int | None) -> Verdict:
    damaged = Verdict(
        f"the {image_format} image cannot be read (it is damaged or incomplete): "
        "save it again and upload it again"
    )
    if end is None:
        return damaged
    if content[end:].strip(_PADDING):
        return Verdict(
            f"the {image_format} image has extra data after its end, which would make it "
            "another kind of file too: save it again and upload that"
        )
    too_large = Verdict(
        f"the image has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels: "
        "scan or save it at a lower resolution and upload it again"
    )
    try:
        # Opening reads the header only; Pillow itself refuses past 2 x its own limit.
        with Image.open(io.BytesIO(content), formats=[image_format]) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return too_large
            image.verify()  # PNG: every chunk's CRC
        with Image.open(io.BytesIO(content), formats=[image_format]) as image:
            if image_format == "JPEG":  # every coefficient is decoded, at an eighth the size
                image.draft(image.mode, (image.width // 8, image.height // 8))
            image.load()
            texts = [v for v in image.info.values() if isinstance(v, str | bytes)]
    except Image.DecompressionBombError:
        return too_large
    except Exception:  # as for PDFs: whatever the decoder trips on, the file is unreadable
        return damaged
    for text in texts:
        if _MARKUP.search(text.encode() if isinstance(text, str) else text):
            return Verdict(
                f"the {image_format} image carries HTML or script code in its metadata: "
                "save it again without metadata and upload that"
            )
    return ACCEPTED


def _png_end(content: bytes) -> int | None:
    """Where the PNG's IEND chunk ends (PNG spec §5.3: length, type, data, CRC)."""
    position = 8
    while position + 12 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        chunk_type = content[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position if position <= len(content) else None
    return None


def _jpeg_end(content: bytes) -> int | None:
    """Where the JPEG's end-of-image marker ends (ITU T.81 Annex B): segments are
    walked by their lengths, so a thumbnail's own marker inside EXIF is skipped."""
    position = 2  # after SOI
    size = len(content)
    while position + 1 < size:
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
        elif marker == 0xD9:  # EOI
            return position + 2
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # stand-alone markers
            position += 2
        elif position + 4 > size:
            return None
        else:
            position += 2 + int.from_bytes(content[position + 2 : position + 4], "big")
            if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
                position = _after_scan(content, position)
    return None


def _after_scan(content: bytes, position: int) -> int:
    while True:
        position = content.find(b"\xff", position)
        if position < 0 or position + 1 >= len(content):
            return len(content)
        following = content[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position += 1 if following == 0xFF else 2
            continue
        return position
