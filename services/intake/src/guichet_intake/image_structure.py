"""What a PNG or JPEG really holds: verified and decoded by Pillow under a pixel limit,
walked to its end marker, with nothing after it and no markup in its metadata."""

from __future__ import annotations

import io

from PIL import Image

from guichet_intake.verdict import ACCEPTED, MARKUP, PADDING, Verdict

# An A4 page scanned at 600 dpi has about 35 million pixels; decoding one costs about
# 3 bytes a pixel, so the limit also bounds what one upload may make intake allocate.
MAX_IMAGE_PIXELS = 40_000_000


def examine_image(content: bytes, image_format: str, end: int | None) -> Verdict:
    damaged = Verdict(
        f"the {image_format} image cannot be read (it is damaged or incomplete): "
        "save it again and upload it again"
    )
    if end is None:
        return damaged
    if content[end:].strip(PADDING):
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
        if MARKUP.search(text.encode() if isinstance(text, str) else text):
            return Verdict(
                f"the {image_format} image carries HTML or script code in its metadata: "
                "save it again without metadata and upload that"
            )
    return ACCEPTED


def png_end(content: bytes) -> int | None:
    """Where the PNG's IEND chunk ends (PNG spec §5.3: length, type, data, CRC)."""
    position = 8
    while position + 12 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        chunk_type = content[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position if position <= len(content) else None
    return None


def jpeg_end(content: bytes) -> int | None:
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
