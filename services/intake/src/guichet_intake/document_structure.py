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

from guichet_intake.image_structure import examine_image, jpeg_end, png_end
from guichet_intake.pdf_structure import examine_pdf
from guichet_intake.verdict import Verdict


def examine(content: bytes, media_type: str) -> Verdict:
    """The verdict on ``content``, whose first bytes already said it is ``media_type``."""
    if media_type == "application/pdf":
        return examine_pdf(content)
    if media_type == "image/png":
        return examine_image(content, "PNG", png_end(content))
    if media_type == "image/jpeg":
        return examine_image(content, "JPEG", jpeg_end(content))
    raise ValueError(f"no structure check for {media_type}")
