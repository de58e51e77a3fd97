"""A document's verdict, and what every format's check looks for in the bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a PDF, PNG or JPEG may carry after its end marker: the padding some writers add.
PADDING = b"\x00\t\n\f\r "
# HTML or script that a browser or an interpreter would run if the file were read as
# another format; none of these is a PDF token, and a plain image's text carries none.
MARKUP = re.compile(
    rb"<\s*(?:script|html|body|head|iframe|object|embed|svg|meta|form|!doctype|\?php)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """Whether a document may be stored, and if not, why, in words its sender acts on."""

    refusal: str | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


ACCEPTED = Verdict()
