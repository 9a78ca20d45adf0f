"""A letter's PDF read back as text (pypdf), and compared with the kept text version."""

from __future__ import annotations

import io
import re

import pypdf


def pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def words(text: str) -> str:
    return " ".join(text.split())


def assert_pdf_is_the_letter(pdf: str, text: str) -> None:
    """Every line of the kept text version is in the PDF's text. Page footers are taken out
    (a paragraph may run over a page break), list markers and capitals ignored (the text
    version writes "- " and capital headings where the PDF has bullets and styled ones);
    the layout's order is the letters' own business, tested with them."""
    flowing = re.sub(r"[•‣◦] ?", "", re.sub(r" ?Page \d+ of \d+ ?", " ", pdf)).casefold()
    for line in text.splitlines():
        line = words(line).removeprefix("- ")
        if line:
            assert line.casefold() in flowing, f"not in the PDF: {line!r}"
