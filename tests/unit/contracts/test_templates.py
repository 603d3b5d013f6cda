from __future__ import annotations

from pathlib import Path

import pytest

from contracts import (
    DocumentKind,
    TemplateRenderError,
    TemplateSource,
    TemplateSyntaxError,
    UnsafeTemplateError,
    builtin_template,
    validate_template,
    whitelist,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "documents.md"


def _template(source: str, kind: DocumentKind = DocumentKind.SELECTION_NOTICE) -> TemplateSource:
    return TemplateSource(kind, "city-upload", 1, source)


def test_builtin_templates_pass_their_own_checks() -> None:
    for kind in DocumentKind:
        assert validate_template(builtin_template(kind)).kind is kind


def test_syntax_error_reports_its_line() -> None:
    source = "<h1>中选通知书</h1>\n<p>{{ winner.name }}</p>\n<p>{% if %}</p>\n"
    with pytest.raises(TemplateSyntaxError) as error:
        validate_template(_template(source))
    assert error.value.line == 3
    assert error.value.message


@pytest.mark.parametrize(("source", "line"), [
    ("<p>ok</p>\n{{ secret_key }}", 2),
    ("{{ winner.__class__ }}", 1),
    ("{{ winner._private }}", 1),
    ("{{ winner['__class__'] }}", 1),
    ("\n\n{{ winner.name.upper() }}", 3),
    ("{% include 'other.html' %}", 1),
    ("{% import 'x' as y %}", 1),
    ("{{ winner | attr('name') }}", 1),
    ("{{ winner.name | safe }}", 1),
    ("{{ 'x' * 100000000 }}", 1),
    ("{{ winner.nickname }}", 1),
    ("{{ range(10) }}", 1),
    ("{{ lipsum() }}", 1),
])
def test_template_reaching_outside_the_whitelist_is_refused(source: str, line: int) -> None:
    with pytest.raises(UnsafeTemplateError) as error:
        validate_template(_template(source))
    assert error.value.line == line


def test_undefined_attribute_of_a_loop_item_fails_at_render_with_its_line() -> None:
    source = "<p>x</p>\n{% for p in payments %}\n{{ p.due_date }}\n{% endfor %}"
    with pytest.raises(TemplateRenderError) as error:
        validate_template(_template(source, DocumentKind.SERVICE_CONTRACT))
    assert error.value.line == 3


def test_own_macros_and_allowed_filters_are_accepted() -> None:
    source = ("{% macro row(label, value) %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>"
              "{% endmacro %}<table>{{ row('中选单位', winner.name | trim) }}</table>"
              "{{ owner.contact | default('—', true) }}")
    assert validate_template(_template(source)).name == "city-upload"


def test_version_changes_with_the_source() -> None:
    first = _template("<p>{{ winner.name }}</p>")
    second = _template("<p>{{ winner.name }}。</p>")
    assert first.version.startswith("city-upload@1:")
    assert first.version != second.version
    assert builtin_template(DocumentKind.SERVICE_CONTRACT).version.startswith(
        "builtin.service_contract@1:")


def test_every_whitelisted_variable_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind in DocumentKind:
        for name, fields in whitelist(kind).items():
            assert f"`{name}`" in text or f"`{name}." in text, name
            if isinstance(fields, dict):
                for field in fields:
                    assert f"`{name}.{field}`" in text or f"`{field}`" in text, (name, field)
