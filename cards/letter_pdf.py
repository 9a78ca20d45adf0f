"""A letter as an accessible PDF: tagged (PDF/UA-1), titled and in its language.

The PDF is made from the letter's kept HTML, the record of what was written, so the
PDF printed today is the letter that was sent. WeasyPrint lays it out (pango does the
text, right-to-left included); its PDF/UA variant tags the structure, so a screen
reader reads the headings, paragraphs and lists in order, and takes the title and the
language from the HTML's <title> and <html lang>. The large-print variant is the same
letter with a page style of larger type, for a person who asked for one (s5).
"""

from __future__ import annotations

from functools import cache
from typing import Any

# The page style every letter is printed with; the HTML keeps its own for screens.
_PAGE = """
@page { size: A4; margin: 20mm 20mm 22mm 20mm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages);
                         font-size: 9pt; color: #333; } }
body { max-width: none; margin: 0; }
/* A name or address with no space in it (or a long link) wraps, not off the page's edge:
   letters kept before this rule was in their own style print right too. */
body, p, li, h1, h2, div { overflow-wrap: break-word; }
"""
# Large print: at least 16 point type (RNIB's clear print guidance), left aligned.
_LARGE = """
body { font-size: 18pt !important; line-height: 1.5; }
h1, h2 { font-size: 1.2em; }
.org { text-align: left !important; }
"""


@cache
def _weasyprint() -> Any:
    """Imported when the first PDF is made: starting the bot does not need pango."""
    import weasyprint

    return weasyprint


def pdf(html: str, *, large_print: bool = False) -> bytes:
    """The PDF of a letter's HTML; `large_print` for the large-print variant."""
    wp = _weasyprint()
    sheets = [wp.CSS(string=_PAGE + (_LARGE if large_print else ""))]
    return wp.HTML(string=html).write_pdf(stylesheets=sheets, pdf_variant="pdf/ua-1")
