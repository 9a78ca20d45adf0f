"""`make bench`: safecontact's performance figures, measured on loopback and written to
docs/performance.md with the commands that reproduce them.

Servers (safecontact, a bare slack-bolt app) and the fake Slack run in their own
processes, pinned away from the load generator, so the client does not steal the
servers' CPU. See bench/__main__.py for the figures and docs/performance.md for the
results.
"""
