"""The letter PDF is tagged, titled, in English, and says what the HTML says."""

from __future__ import annotations

import io

import pypdf

from cards.letter_pdf import pdf

HTML = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>How you can contact us from now on</title></head><body>
<p>Dear Dennis Harlow,</p><ul><li>Phone calls limited to 15 minutes</li></ul>
<p>\u0645\u0631\u062d\u0628\u0627</p></body></html>"""


def _read(data: bytes) -> pypdf.PdfReader:
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def test_the_pdf_is_tagged_titled_and_in_its_language() -> None:
    reader = _read(pdf(HTML))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged: read in order by a screen reader
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "How you can contact us from now on"
    text = reader.pages[0].extract_text()
    assert "Dear Dennis Harlow," in text and "Phone calls limited to 15 minutes" in text
    assert "\u0645\u0631\u062d\u0628\u0627" in text


def test_large_print_is_the_same_letter_in_larger_type() -> None:
    ordinary, large = _read(pdf(HTML)), _read(pdf(HTML, large_print=True))
    assert large.pages[0].extract_text().split() == ordinary.pages[0].extract_text().split()

    def sizes(reader: pypdf.PdfReader) -> set[float]:
        found: set[float] = set()

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip() and not text.startswith("Page "):  # the footer's own size
                found.add(size * tm[0] * cm[0])  # in points

        reader.pages[0].extract_text(visitor_text=visit)
        return found

    assert min(sizes(large)) >= 16 > max(sizes(ordinary))
