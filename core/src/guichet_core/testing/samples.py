"""Small real documents for the tests, the bench and ``make demo``.

Intake parses what it is sent (a PDF must be one, an image must decode), so the forms
that tests and tools file carry real files: a blank A4 page written once by pypdf
(``PdfWriter().add_blank_page(595, 842)``) and an 8 x 8 white PNG written once by Pillow.
Kept as bytes, so nothing is generated at run time and nothing here imports a parser.
"""

from __future__ import annotations

PDF = (
    b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n"
    b"2 0 obj\n<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\nendobj\n"
    b"3 0 obj\n<<\n/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n"
    b"4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n/MediaBox [ 0.0 0.0 595 842 ]\n"
    b"/Parent 2 0 R\n>>\nendobj\n"
    b"xref\n0 5\n0000000000 65535 f \n0000000015 00000 n \n0000000054 00000 n \n"
    b"0000000113 00000 n \n0000000162 00000 n \n"
    b"trailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n256\n%%EOF\n"
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x08\x08\x02\x00\x00"
    b"\x00Km)\xdc\x00\x00\x00\x15IDATx\x9cc\xfc\xff\xff?\x036\xc0\x84Ut\xd0J\x00\x00V\xd4"
    b"\x03\r7\xec\xcc\xa3\x00\x00\x00\x00IEND\xaeB`\x82"
)
