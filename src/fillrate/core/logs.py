"""Logging pieces the settings wire in."""

from __future__ import annotations

import logging


class NoTracebackForClientErrors(logging.Filter):
    """A 4xx answer is the client's mistake, not the server's: keep the one
    line Django logs for it ("Forbidden (Permission denied): /path/") and
    drop the traceback it attaches to a PermissionDenied."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
