"""What the command line prints: escaped, and quiet when the reader goes away."""

from __future__ import annotations

import io
import os

from ..escaping import printable


class _Printable(io.TextIOBase):
    """The CLI's stdout and stderr: everything printed has its control characters escaped (names,
    labels and comments come from files: they must not move the cursor, colour the terminal or
    forge a line of a verdict), and a reader that stops reading (`… | head -3`) ends the output
    quietly instead of with a traceback; the command still finishes and returns its own code."""

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self.closed_by_reader = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                self.stream.write(printable(text, multiline=True))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def _reader_gone(self) -> None:
        self.closed_by_reader = True
        # Python flushes the real stream again at exit: point it at /dev/null so that final flush
        # has nowhere to fail.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
