"""What intake accepts as a document (Art. 20 §2 and §4: the documents an applicant
uploads with a filing or when a controller asks for more).

The regions' and the Immigration Office's officers open these files, so a document must
be, once parsed, a plain PDF, PNG or JPEG: nothing that runs, reaches out or hides
another file, and no second format behind the first (GDPR Art. 32 §1 b and Art. 5 §1 f:
the integrity of the systems that process the dossier). Every file here is built by the
test with pypdf or Pillow, the way a real writer makes it.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

from guichet_contracts.vocabulary import DocumentKind
from guichet_core.testing import samples
from guichet_intake import document_structure as structure
from guichet_intake import pdf_structure
from guichet_intake.documents import CheckedDocument, DocumentRejected, check_document

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def upload(
    content: bytes, media_type: str = "application/pdf", *, index: int = 0
) -> CheckedDocument:
    return check_document(
        index,
        kind=DocumentKind.PASSPORT,
        filename="Amina Diallo passport.pdf",
        media_type=media_type,
        content_base64=base64.b64encode(content).decode(),
        sha256=None,
    )


def refusal(content: bytes, media_type: str = "application/pdf") -> str:
    with pytest.raises(DocumentRejected) as refused:
        upload(content, media_type)
    return refused.value.reason


# --- PDFs, as pypdf writes them ------------------------------------------------------


def name(value: str) -> NameObject:
    return NameObject(value)


def action(kind: str, **entries: str) -> DictionaryObject:
    fields = {name(f"/{key}"): TextStringObject(value) for key, value in entries.items()}
    return DictionaryObject({name("/Type"): name("/Action"), name("/S"): name(kind), **fields})


def pdf(change: Callable[[PdfWriter], None] | None = None, *, password: str | None = None) -> bytes:
    """A one-page PDF, changed by ``change`` before it is written."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if change is not None:
        change(writer)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def on_catalogue(key: str, value: DictionaryObject) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        writer.root_object[name(key)] = writer._add_object(value)

    return change


def annotation(entries: dict[str, PdfObject]) -> Callable[[PdfWriter], None]:
    """A link annotation on the page carrying ``entries`` (its action, its subtype...)."""

    def change(writer: PdfWriter) -> None:
        annotation = DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/Link"),
                name("/Rect"): ArrayObject([NumberObject(0)] * 2 + [NumberObject(50)] * 2),
            }
        )
        annotation.update({name(key): value for key, value in entries.items()})
        writer.pages[0][name("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return change


def javascript_name_tree(writer: PdfWriter) -> None:
    script = writer._add_object(action("/JavaScript", JS="app.alert('hello')"))
    tree = DictionaryObject({name("/Names"): ArrayObject([TextStringObject("x"), script])})
    writer.root_object[name("/Names")] = DictionaryObject({name("/JavaScript"): tree})


def handmade(*bodies: bytes) -> bytes:
    """A PDF written byte by byte: object ``n`` is ``bodies[n - 1]``, object 1 is the
    catalogue; the cross-reference table is computed, so only the bodies are ours."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


def packed(*bodies: bytes) -> bytes:
    """A PDF 1.5 file whose objects 4, 5, ... are ``bodies``, compressed in one object
    stream and listed by a compressed cross-reference stream (PDF 32000-1 §7.5.7-8):
    nothing of them can be read in the bytes without inflating. Objects 1-3 are a page
    whose catalogue names object 4 as its name dictionary."""
    catalogue = b"<< /Type /Catalog /Pages 2 0 R /Names 4 0 R >>"
    out, offsets = bytearray(b"%PDF-1.7\n"), {}
    for number, body in enumerate((catalogue, *PAGES[1:]), start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    index = b"".join(b"%d %d " % (4 + i, 64 * i) for i in range(len(bodies)))
    stream = zlib.compress(index + b"".join(body.ljust(64) for body in bodies))
    holder, xref = 4 + len(bodies), 5 + len(bodies)
    offsets[holder] = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n" % (
        holder,
        len(bodies),
        len(index),
        len(stream),
    )
    out += b"stream\n" + stream + b"\nendstream\nendobj\n"
    offsets[xref] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)] + [
        struct.pack(">BIH", 1, offsets[n], 0)
        if n in offsets
        else struct.pack(">BIH", 2, holder, n - 4)
        for n in range(1, xref + 1)
    ]
    table = zlib.compress(b"".join(rows))
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode " % (
        xref,
        xref + 1,
    )
    out += b"/Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(table), table)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % offsets[xref])


PAGES = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)


def test_a_plain_pdf_is_accepted() -> None:
    document = upload(pdf())
    assert document.media_type == "application/pdf"
    assert structure.examine(handmade(*PAGES), "application/pdf").accepted


def test_a_pdf_with_a_web_link_and_an_opening_page_is_accepted() -> None:
    """A link to a web page is not active content, and an /OpenAction that is a
    destination (an array) only says which page to show first."""

    def change(writer: PdfWriter) -> None:
        annotation({"/A": action("/URI", URI="https://www.belgium.be")})(writer)
        page = writer.pages[0].indirect_reference
        writer.root_object[name("/OpenAction")] = ArrayObject([page, name("/Fit")])

    upload(pdf(change))


def test_the_probes_pdf_header_followed_by_html_is_refused() -> None:
    """What the outside probe sent: ``%PDF-`` and then a web page; it is no PDF."""
    assert refusal(b"%PDF-1.7\n" + HTML + b"\n") == pdf_structure.DAMAGED_PDF


def test_a_pdf_with_html_after_its_end_is_refused() -> None:
    assert refusal(pdf() + HTML) == pdf_structure.PDF_TRAILER
    assert refusal(pdf() + b"\n" + HTML + b"\n%%EOF\n") == pdf_structure.PDF_MARKUP


def test_a_pdf_hiding_html_in_a_comment_after_its_header_is_refused() -> None:
    """The classic PDF/HTML polyglot: a comment line that a browser reads as a page."""
    header, rest = pdf().split(b"\n", 1)
    assert refusal(header + b"\n%" + HTML + b"\n" + rest) == pdf_structure.PDF_MARKUP


def test_padding_after_the_end_of_a_pdf_is_accepted() -> None:
    upload(pdf() + b"\r\n\x00\x00\n")


def test_a_truncated_pdf_is_refused() -> None:
    whole = pdf()
    assert refusal(whole[: len(whole) // 2]) == pdf_structure.DAMAGED_PDF
    assert refusal(whole[:-20]) == pdf_structure.DAMAGED_PDF


def test_a_pdf_with_javascript_is_refused() -> None:
    assert refusal(pdf(javascript_name_tree)) == pdf_structure.JAVASCRIPT


def test_javascript_is_found_where_a_search_of_the_bytes_would_miss_it() -> None:
    """Under an escaped name (``/J#61vaScript`` is ``/JavaScript``, PDF 32000-1
    §7.3.5), compressed in an object stream, or in an object the catalogue does not
    reference (a viewer rebuilding a damaged file finds it)."""
    hidden = [
        handmade(
            b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 4 0 R >> >>",
            *PAGES[1:],
            b"<< /Names [(x) 5 0 R] >>",
            b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",
        ),
        packed(
            b"<< /JavaScript 5 0 R >>",
            b"<< /Names [(x) 6 0 R] >>",
            b"<< /S /JavaScript /JS (app.alert(1)) >>",
        ),
    ]
    for document in hidden:
        assert b"JavaScript" not in document
        assert refusal(document) == pdf_structure.JAVASCRIPT
    upload(packed(b"<< /Dests 5 0 R >>", b"<< /Names [] >>"))
    orphan = handmade(*PAGES, b"<< /S /JavaScript /JS (app.alert(1)) >>")
    assert refusal(orphan) == pdf_structure.JAVASCRIPT


def test_a_script_run_on_opening_is_reported_as_javascript_wherever_it_sits() -> None:
    """Said the same way whether the action is the catalogue's own dictionary or an
    object numbered before or after it."""
    script = action("/JavaScript", JS="app.alert(1)")
    assert refusal(pdf(on_catalogue("/OpenAction", script))) == pdf_structure.JAVASCRIPT
    inline = handmade(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>",
        *PAGES[1:],
    )
    assert refusal(inline) == pdf_structure.JAVASCRIPT


def test_a_pdf_that_acts_when_it_is_opened_is_refused() -> None:
    """/OpenAction with an action, and /AA (additional actions) on a page."""
    opens = on_catalogue("/OpenAction", action("/URI", URI="https://example.org/track"))
    assert refusal(pdf(opens)) == pdf_structure.AUTOMATIC_ACTION

    def page_actions(writer: PdfWriter) -> None:
        visit = action("/URI", URI="https://example.org/track")
        writer.pages[0][name("/AA")] = DictionaryObject({name("/O"): writer._add_object(visit)})

    assert refusal(pdf(page_actions)) == pdf_structure.AUTOMATIC_ACTION


def test_a_pdf_that_launches_a_program_is_refused() -> None:
    launch = annotation({"/A": action("/Launch", F="C:\\Windows\\System32\\cmd.exe")})
    assert refusal(pdf(launch)) == pdf_structure.LAUNCH


def test_a_pdf_whose_link_is_a_script_or_a_local_file_is_refused() -> None:
    script = annotation({"/A": action("/URI", URI="JavaScript:app.alert(1)")})
    assert refusal(pdf(script)) == pdf_structure.JAVASCRIPT
    local = annotation({"/A": action("/URI", URI="file:///C:/Windows/System32/cmd.exe")})
    assert refusal(pdf(local)) == pdf_structure.REMOTE_ACTION


def test_a_pdf_that_submits_a_form_or_opens_another_file_is_refused() -> None:
    submit = annotation({"/A": action("/SubmitForm", F="https://example.org/collect")})
    assert refusal(pdf(submit)) == pdf_structure.REMOTE_ACTION
    remote = annotation({"/A": action("/GoToR", F="other.pdf")})
    assert refusal(pdf(remote)) == pdf_structure.REMOTE_ACTION


def test_a_pdf_with_an_attached_file_is_refused() -> None:
    def attach(writer: PdfWriter) -> None:
        writer.add_attachment("payload.exe", b"MZ\x90\x00 not a document")

    assert refusal(pdf(attach)) == pdf_structure.EMBEDDED_FILE


def test_an_xfa_form_is_refused() -> None:
    form = DictionaryObject(
        {name("/Fields"): ArrayObject(), name("/XFA"): TextStringObject("<xdp:xdp/>")}
    )
    assert refusal(pdf(on_catalogue("/AcroForm", form))) == pdf_structure.XFA


def test_a_pdf_with_rich_media_is_refused() -> None:
    media = annotation({"/Subtype": name("/RichMedia")})
    assert refusal(pdf(media)) == pdf_structure.RICH_MEDIA


def test_a_pdf_locked_by_a_password_is_refused() -> None:
    assert refusal(pdf(password="secret")) == pdf_structure.PASSWORD


def test_a_pdf_encrypted_without_an_opening_password_is_read_and_checked() -> None:
    """Only an owner password (printing or copying restricted): anyone can open it, so
    it is readable, and what it contains is checked as in any other PDF."""
    upload(pdf(password=""))
    assert refusal(pdf(javascript_name_tree, password="")) == pdf_structure.JAVASCRIPT


def test_a_pdf_of_more_objects_than_a_document_needs_is_refused_before_they_are_read() -> None:
    """Reading an object costs time: the count the cross-reference table gives is
    checked first, so an upload cannot keep intake parsing for minutes."""
    filler = [b"<< /A [1 2 3] >>"] * (pdf_structure.MAX_PDF_OBJECTS - len(PAGES))
    upload(handmade(*PAGES, *filler))
    assert refusal(handmade(*PAGES, *filler, b"<< >>")) == pdf_structure.TOO_MANY_OBJECTS


def test_a_pdf_without_pages_is_refused() -> None:
    catalogue_only = handmade(
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"
    )
    assert refusal(catalogue_only) == pdf_structure.DAMAGED_PDF


# --- Images, as Pillow writes them ---------------------------------------------------


def image(image_format: str, size: tuple[int, int] = (16, 12), **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, image_format, **options)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_plain_png_and_a_plain_jpeg_are_accepted() -> None:
    assert upload(image("PNG"), "image/png").media_type == "image/png"
    assert upload(image("JPEG"), "image/jpeg").media_type == "image/jpeg"


def test_a_png_with_html_after_its_end_is_refused() -> None:
    assert "extra data after its end" in refusal(image("PNG") + HTML, "image/png")


def test_a_jpeg_with_html_after_its_end_is_refused() -> None:
    """Even when the HTML itself ends like a JPEG, the end is where the JPEG's own
    segments end, not the last end marker of the file."""
    assert "extra data after its end" in refusal(image("JPEG") + HTML, "image/jpeg")
    assert "extra data" in refusal(image("JPEG") + HTML + b"\xff\xd9", "image/jpeg")


def test_a_jpeg_whose_metadata_holds_an_end_marker_is_read_to_its_real_end() -> None:
    """An EXIF thumbnail is a JPEG inside the JPEG, with its own end marker."""
    thumbnail = image("JPEG", (4, 4))
    upload(image("JPEG", exif=b"Exif\x00\x00" + thumbnail), "image/jpeg")


def test_an_image_with_html_in_its_metadata_is_refused() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", HTML.decode())
    assert "in its metadata" in refusal(image("PNG", pnginfo=text), "image/png")
    assert "in its metadata" in refusal(image("JPEG", comment=HTML), "image/jpeg")


def test_truncated_images_are_refused() -> None:
    png, jpeg = image("PNG", (64, 64)), image("JPEG", (64, 64))
    assert "cannot be read" in refusal(png[: len(png) // 2], "image/png")
    assert "cannot be read" in refusal(jpeg[: len(jpeg) // 2], "image/jpeg")


def test_a_png_whose_checksums_are_wrong_is_refused() -> None:
    """Pillow's verify() checks every chunk's CRC (PNG spec §5.3)."""
    png = bytearray(image("PNG"))
    png[20] ^= 0xFF  # inside IHDR's data: its CRC no longer matches
    assert "cannot be read" in refusal(bytes(png), "image/png")


def test_a_decompression_bomb_is_refused() -> None:
    """A few kilobytes that would decode to 48 million pixels (a 1-bit image)."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < 10_000
    assert "more than 40 million pixels" in refusal(out.getvalue(), "image/png")


def test_an_image_declaring_billions_of_pixels_is_refused_before_it_is_decoded() -> None:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )
    assert "more than 40 million pixels" in refusal(bomb, "image/png")


# --- The checks that come first, and how a refusal reads ------------------------------


def test_the_first_bytes_must_match_the_label_and_the_size_limit_holds() -> None:
    assert "labelled image/png but its content is application/pdf" in refusal(pdf(), "image/png")
    assert "not a PDF, JPEG or PNG" in refusal(HTML)
    assert "the limit is 10485760 bytes" in refusal(pdf() + b"\x00" * 10 * 1024 * 1024)


def test_a_refusal_names_the_document_by_place_and_kind_never_by_name_or_content() -> None:
    """The file name is personal data (it is stored sealed), and so is the content."""
    with pytest.raises(DocumentRejected) as refused:
        upload(pdf(javascript_name_tree), index=2)
    assert refused.value.index == 2
    assert refused.value.detail == f"document 3 (passport): {pdf_structure.JAVASCRIPT}"
    assert "Amina" not in refused.value.detail and "alert" not in refused.value.detail


def test_the_readme_example_and_the_shared_samples_are_real_documents() -> None:
    """``docs/examples/application.json`` (the README's curl) and the samples that the
    tests, the bench and ``make demo`` file are checked like any upload."""
    example = Path(__file__).parents[3] / "docs" / "examples" / "application.json"
    for index, document in enumerate(json.loads(example.read_text())["documents"]):
        check_document(index, **{**document, "kind": DocumentKind(document["kind"])})
    upload(samples.PDF)
    upload(samples.PNG, "image/png")
