"""Errors raised by the contracts package.

Every error carries data (the field, the template line) so that the caller can say what is
wrong without parsing messages. The platform translates them in one place,
``market/outside_errors.py``, into its own domain errors; its web layer turns those into
problem responses. :class:`SealError` is deliberately left untranslated there: a seal that
cannot be loaded is the operator's to fix, not the request's.
"""

from __future__ import annotations


class ContractsError(Exception):
    """Base class of every error raised on purpose by ``contracts``."""


class InvalidDocumentData(ContractsError, ValueError):
    """Input data for a document is missing, of the wrong type or out of range.

    ``field`` is a dotted path into the input (``"winner.uscc"``,
    ``"payments[1].percent"``); ``reason`` says what is wrong with it in plain words.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[InvalidDocumentData], tuple[str, str]]:
        # rebuilt from (field, reason) when it crosses from a render worker to the caller
        return (type(self), (self.field, self.reason))

    def nested_in(self, parent: str) -> InvalidDocumentData:
        """Return the same error with ``parent`` prefixed to the field path."""
        sep = "" if self.field.startswith("[") else "."
        return InvalidDocumentData(f"{parent}{sep}{self.field}", self.reason)


class TemplateRejected(ContractsError):
    """A document template cannot be accepted or rendered.

    ``line`` is the 1-based line of the template source the problem was found on, when
    known; ``message`` is the reason. Subclasses say which kind of problem it is.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}")
        self.message = message
        self.line = line


class TemplateSyntaxError(TemplateRejected):
    """The template source is not valid Jinja2."""


class UnsafeTemplateError(TemplateRejected):
    """The template reaches outside the whitelist (unknown variable, private attribute,
    a call, an include/import, a filter that is not allowed...)."""


class TemplateRenderError(TemplateRejected):
    """The template failed while rendering (e.g. an undefined attribute)."""


class TemplateTooLarge(TemplateRejected):
    """The template expands past a limit of :mod:`contracts.expansion` while it renders
    (too many loop iterations or macro calls, too much text, macros nested too deep)."""


class SealError(ContractsError):
    """The seal certificate or key cannot be loaded or generated."""
