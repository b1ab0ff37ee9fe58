"""One error hierarchy whose messages are written for the person at the keyboard."""

from __future__ import annotations


class AnnotateError(Exception):
    """Base for every error a user should see as a message, not a traceback."""

    #: The process exit code the CLI uses for this error (DESIGN: 2 = bad usage or input).
    exit_code = 2


class InputError(AnnotateError):
    """Bad input: names the file, the line (when there is one) and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.reason}"


class ManyInputErrors(InputError):
    """Bad lines in one file; the message lists the first few and counts the rest.

    An InputError itself, naming the first bad line, so callers that handle
    one bad input handle these too.
    """

    SHOWN = 20

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0] if errors else InputError("bad input")
        self.file, self.line, self.field, self.reason = (
            first.file,
            first.line,
            first.field,
            first.reason,
        )
        lines = [e.format() for e in errors[: self.SHOWN]]
        if len(errors) > self.SHOWN:
            lines.append(f"... and {len(errors) - self.SHOWN} more bad lines")
        self._message = "\n".join(lines)
        AnnotateError.__init__(self, self._message)

    def format(self) -> str:
        return self._message


class RubricError(InputError):
    """An invalid rubric file."""


class StoreError(AnnotateError):
    """The database can't be used as asked (newer schema, read-only, disk full)."""


class ItemFull(StoreError):
    """The item already has as many annotators as the overlap allows."""


class NotFound(AnnotateError):
    """A named thing (rubric, item) does not exist."""


class DuplicateItemId(AnnotateError):
    """An item id in an import already names different content."""

    def __init__(self, external_id: str, line: int) -> None:
        self.external_id = external_id
        self.line = line
        super().__init__(f"id {external_id!r} already names a different item")
