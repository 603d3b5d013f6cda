"""Document templates: versioned sources run in Jinja's sandbox against a whitelist.

A template is the *body* of a document (title, clauses, signature block) as Jinja2 HTML.
The page frame around it (header, footer with document number, page x/y and digest, the
QR code, fonts, the platform seal) belongs to the platform and is not templatable, so a
city's model contract cannot hide or fake the verification elements.

Safety, in two layers:

* at upload, :func:`validate_template` parses the source and walks its syntax tree:
  only whitelisted top-level variables (see :func:`whitelist`), no attribute or item
  starting with ``_``, no calls except to macros the template defines itself, only the
  filters in :data:`ALLOWED_FILTERS`, no ``include``/``import``/``extends``, no ``*``
  or ``**`` (string repetition could exhaust memory); then renders the template once
  against sample data, which catches misspelt fields such as ``winner.nmae``;
* at render, the template runs in :class:`ImmutableSandboxedEnvironment` with
  :class:`StrictUndefined` (any undefined value is an error, never an empty string),
  autoescaping on, and no globals, metered while it expands (see
  :mod:`contracts.expansion`): a macro that calls itself is refused at upload, and loop
  iterations, macro calls and the text produced are bounded during the render.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from jinja2 import meta, nodes

from contracts import expansion
from contracts.errors import (
    TemplateRejected,
    TemplateRenderError,
    TemplateSyntaxError,
    TemplateTooLarge,
    UnsafeTemplateError,
)
from contracts.model import DocumentKind

#: Sequence number of the built-in templates shipped in ``contracts/templates``.
BUILTIN_SEQUENCE = 1

#: Filters a template may use; everything else (``attr``, ``map``, ``safe``, ``format``,
#: ``xmlattr``…) is refused because it either reaches into objects or bypasses escaping.
ALLOWED_FILTERS = frozenset({
    "capitalize", "center", "default", "d", "e", "escape", "first", "indent", "join",
    "last", "length", "count", "list", "lower", "replace", "reverse", "string", "title",
    "trim", "truncate", "upper", "wordcount", "wordwrap", "striptags", "int",
})

#: Largest body a template may produce (bytes of HTML); protects the renderer.
MAX_BODY_CHARS = 2_000_000

_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")


@dataclass(frozen=True)
class TemplateSource:
    """One version of a document template.

    ``name`` identifies the template series (e.g. ``"shaoguan-service-2025"``),
    ``sequence`` counts its uploads (1, 2, 3…), ``source`` is the Jinja2 HTML. The
    :attr:`version` string is what a rendered document records.
    """

    kind: DocumentKind
    name: str
    sequence: int
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DocumentKind):
            raise TemplateRejected(f"kind must be a DocumentKind, not {self.kind!r}")
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise TemplateRejected("name must be 1-80 characters of A-Z a-z 0-9 _ . -")
        if not isinstance(self.sequence, int) or self.sequence < 1:
            raise TemplateRejected("sequence must be a positive integer")
        if not isinstance(self.source, str):
            raise TemplateRejected("source must be text")

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the UTF-8 source."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """``name@sequence:sha256-prefix``, e.g. ``builtin.service_contract@1:3fa2c9e1b7d04a11``.

        The hash makes the identifier change whenever the source does, even if a sequence
        number were reused by mistake.
        """
        return f"{self.name}@{self.sequence}:{self.sha256[:16]}"


def builtin_template(kind: DocumentKind) -> TemplateSource:
    """The default template of ``kind`` shipped in ``contracts/templates/``."""
    return _builtin(DocumentKind(kind))


@functools.cache
def _builtin(kind: DocumentKind) -> TemplateSource:
    source = resources.files("contracts").joinpath("templates", f"{kind.value}.html.j2")
    return TemplateSource(kind, f"builtin.{kind.value}", BUILTIN_SEQUENCE,
                          source.read_text(encoding="utf-8"))


def _environment() -> expansion.MeteredEnvironment:
    env = expansion.MeteredEnvironment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, auto_reload=False, finalize=expansion.printed)
    env.globals.clear()
    env.filters = {name: expansion.metered_filter(name, f) for name, f in env.filters.items()
                   if name in ALLOWED_FILTERS}
    env.filters.update(expansion.INTERNAL_FILTERS)
    env.tests = {name: t for name, t in env.tests.items()
                 if name in {"defined", "undefined", "none", "number", "string", "odd",
                             "even", "divisibleby", "eq", "ne", "lt", "gt", "le", "ge",
                             "==", "!=", "<", ">", "<=", ">=", "in", "true", "false"}}
    return env


_ENV = _environment()


def whitelist(kind: DocumentKind) -> Mapping[str, Any]:
    """The variables a template of ``kind`` may use, as a nested schema.

    Keys are top-level variable names; a value is ``None`` for a plain string, a mapping
    for an object with those fields, or a one-element list holding the schema of a list's
    items. docs/documents.md describes every entry.
    """
    from contracts.context import sample_context

    return typing.cast(Mapping[str, Any], _schema(sample_context(DocumentKind(kind))))


def _schema(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _schema(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_schema(value[0]) if value else None]
    return None


def validate_template(template: TemplateSource) -> TemplateSource:
    """Check a template at upload time; return it unchanged if it is acceptable.

    Raises :class:`TemplateSyntaxError` (with ``line``) for invalid Jinja2,
    :class:`UnsafeTemplateError` (with ``line``) for anything outside the whitelist, and
    :class:`TemplateRenderError` if rendering it against sample data fails.
    """
    from contracts.context import sample_context

    try:
        tree = _parse(template.source)
        _check_tree(tree, whitelist(template.kind))
        expansion.check_macro_calls(tree)
    except RecursionError:
        raise TemplateSyntaxError("the template nests too deeply") from None
    render_body(template, sample_context(template.kind))
    return template


def _parse(source: str) -> nodes.Template:
    try:
        return _ENV.parse(source)
    except RecursionError:
        raise TemplateSyntaxError("the template nests too deeply") from None
    except jinja2.TemplateSyntaxError as error:
        raise TemplateSyntaxError(error.message or "syntax error", error.lineno) from None


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _check_tree(tree: nodes.Template, schema: Mapping[str, Any]) -> None:
    macros = {m.name for m in tree.find_all(nodes.Macro)} | {"caller"}
    for node in _walk(tree):
        line = getattr(node, "lineno", None)
        if isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport):
            raise UnsafeTemplateError("extends/include/import are not allowed", line)
        if isinstance(node, nodes.EvalContextModifier):  # {% autoescape false %} would let data write HTML
            raise UnsafeTemplateError("autoescape blocks are not allowed", line)
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise UnsafeTemplateError(f"access to private attribute {node.attr!r}", line)
        if (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_")):
            raise UnsafeTemplateError(f"access to private item {node.arg.value!r}", line)
        if isinstance(node, nodes.Call) and not (
                isinstance(node.node, nodes.Name) and node.node.name in macros):
            raise UnsafeTemplateError("calls are not allowed (only the template's own macros)",
                                      line)
        if isinstance(node, nodes.Filter | nodes.Test):
            known = ALLOWED_FILTERS if isinstance(node, nodes.Filter) else _ENV.tests
            if node.name not in known:
                raise UnsafeTemplateError(f"filter or test {node.name!r} is not allowed", line)
        if isinstance(node, nodes.Mul | nodes.Pow):
            raise UnsafeTemplateError("the * and ** operators are not allowed", line)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            fields = schema.get(node.node.name)
            if isinstance(fields, Mapping) and node.attr not in fields:
                raise UnsafeTemplateError(
                    f"{node.node.name}.{node.attr} is not in the whitelist", line)
    undeclared = meta.find_undeclared_variables(tree)
    unknown = sorted(undeclared - set(schema) - macros)
    if unknown:
        first = unknown[0]
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == first), None)
        raise UnsafeTemplateError(f"variable {first!r} is not in the whitelist", line)


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    tree = expansion.meter_tree(_parse(source))
    try:
        return _ENV.from_string(tree)
    except jinja2.TemplateSyntaxError as error:  # includes unknown filters at compile time
        raise TemplateSyntaxError(error.message or "syntax error", error.lineno) from None
    except RecursionError:
        raise TemplateSyntaxError("the template nests too deeply") from None


def render_body(template: TemplateSource, context: Mapping[str, Any]) -> str:
    """Render a template's body HTML in the sandbox (StrictUndefined, autoescape).

    Raises :class:`TemplateRenderError` with the template line when rendering fails,
    :class:`UnsafeTemplateError` if the sandbox stops an operation, and
    :class:`TemplateTooLarge` as soon as the render expands past a limit of
    :mod:`contracts.expansion`.
    """
    compiled = _compiled(template.source)
    try:
        body = expansion.metered(lambda: compiled.render(**context))
    except (TemplateTooLarge, UnsafeTemplateError) as error:
        raise type(error)(error.message, error.line or _template_line()) from None
    except RecursionError:
        raise TemplateTooLarge("the template nests too deeply", _template_line()) from None
    except jinja2.exceptions.SecurityError as error:
        raise UnsafeTemplateError(str(error), _template_line()) from None
    except jinja2.TemplateError as error:
        raise TemplateRenderError(str(error) or type(error).__name__, _template_line()) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise TemplateRenderError(f"{type(error).__name__}: {error}", _template_line()) from None
    if len(body) > MAX_BODY_CHARS:
        raise TemplateRenderError(f"the rendered body exceeds {MAX_BODY_CHARS} characters")
    return body


def _template_line() -> int | None:
    """Line of the innermost template frame of the exception being handled."""
    traceback = sys.exc_info()[2]
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
