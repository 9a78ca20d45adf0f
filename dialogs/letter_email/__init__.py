"""Sending a letter by email: the PDF to the person's recorded address, from the office's,
recorded as sent only once the mail server has accepted it (issue 14; s7)."""
