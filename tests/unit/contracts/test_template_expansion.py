"""A template is bounded while it expands: recursion is refused at upload, and loops,
macro calls and the text they build are metered during the render."""

from __future__ import annotations

import pickle

import pytest
from jinja2 import Environment, nodes

from contracts import (
    DocumentKind,
    InvalidDocumentData,
    TemplateRejected,
    TemplateSource,
    TemplateSyntaxError,
    UnsafeTemplateError,
    validate_template,
)
from contracts.context import sample_context
from contracts.errors import TemplateTooLarge
from contracts.expansion import MAX_MACRO_DEPTH, MAX_RENDER_STEPS, MAX_VALUE_CHARS, meter_tree
from contracts.templating import render_body

KIND = DocumentKind.SERVICE_CONTRACT


def _template(source: str) -> TemplateSource:
    return TemplateSource(KIND, "city-upload", 1, source)


def _exponential(levels: int) -> str:
    """Macro ``m{n}`` prints ``m{n-1}`` twice: 2**levels copies of the innermost text."""
    chain = "".join(
        f"{{% macro m{i}() %}}{{{{ m{i - 1}() }}}}{{{{ m{i - 1}() }}}}{{% endmacro %}}\n"
        for i in range(1, levels + 1))
    return f"{{% macro m0() %}}<b>{'x' * 16}</b>{{% endmacro %}}\n{chain}{{{{ m{levels}() }}}}"


@pytest.mark.parametrize(("source", "cycle"), [
    ("<p>x</p>\n{% macro a() %}{{ a() }}{% endmacro %}{{ a() }}", "a → a"),
    ("{% macro b() %}{{ c() }}{% endmacro %}\n{% macro c() %}{{ b() }}{% endmacro %}{{ b() }}",
     "b → c → b"),
    # through a call block: the caller's body runs inside b and calls b again
    ("{% macro a() %}{{ caller() }}{% endmacro %}"
     "{% macro b() %}{% call a() %}{{ b() }}{% endcall %}{% endmacro %}{{ b() }}", "b → b"),
])
def test_macro_calling_itself_is_refused_at_upload(source: str, cycle: str) -> None:
    with pytest.raises(UnsafeTemplateError) as error:
        validate_template(_template(source))
    assert cycle in error.value.message and "recursion" in error.value.message
    assert error.value.line is not None


@pytest.mark.parametrize("source", [
    "{% macro a() %}x{% endmacro %}{% macro b() %}{% set a = b %}{{ a() }}{% endmacro %}{{ b() }}",
    "{% macro a() %}x{% endmacro %}{% macro b(a) %}{{ a() }}{% endmacro %}{{ b(b) }}",
    "{% macro a() %}x{% endmacro %}{% for a in payments %}{{ a() }}{% endfor %}",
])
def test_a_variable_cannot_take_a_macros_name(source: str) -> None:
    # otherwise "a" could be b under another name, and b would call itself unseen
    with pytest.raises(UnsafeTemplateError, match="is a macro and cannot also be a variable"):
        validate_template(_template(source))


def test_exponential_macros_stop_while_expanding() -> None:
    # 2**24 copies would be 500 MB of HTML; the render stops at its character budget
    with pytest.raises(TemplateTooLarge) as error:
        validate_template(_template(_exponential(24)))
    assert "characters" in error.value.message


def test_nested_loops_stop_at_the_step_limit() -> None:
    loops = "{% for c in scope %}" * 4 + "x" + "{% endfor %}" * 4
    with pytest.raises(TemplateTooLarge) as error:
        validate_template(_template(loops))
    assert str(MAX_RENDER_STEPS) in error.value.message


@pytest.mark.parametrize("source", [
    "{% set a = scope ~ scope %}" + "{% set a = a ~ a %}" * 40 + "{{ a|length }}",
    "{% set a = scope + scope %}" + "{% set a = a + a %}" * 40 + "{{ a|length }}",
    "{% set a = scope|replace('', scope) %}{{ a|replace('', a)|length }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ 'x'|indent(1000000000, true) }}",
    "{{ scope|wordwrap(1, wrapstring='" + "y" * 5000 + "') }}",
    "{{ (scope|replace('', scope))|list|join(scope) }}",
    "{% set a = scope|center(150000) %}{{ 'x' ~ (a ~ a) }}",
])
def test_a_value_cannot_outgrow_its_limit(source: str) -> None:
    with pytest.raises(TemplateTooLarge) as error:
        validate_template(_template(source))
    assert str(MAX_VALUE_CHARS) in error.value.message


def test_every_concatenation_is_metered_even_nested_ones() -> None:
    tree = meter_tree(Environment().parse("{{ a ~ (b ~ (c ~ d)) ~ e }}{% set x = [f ~ g] %}"))
    assert not list(tree.find_all(nodes.Concat))
    assert len([f for f in tree.find_all(nodes.Filter) if f.name == "_concat"]) == 4


def test_percent_formatting_of_text_is_refused_but_arithmetic_is_not() -> None:
    with pytest.raises(UnsafeTemplateError, match="% formatting"):
        validate_template(_template("{{ '%999999999d' % 1 }}"))
    body = render_body(_template("{{ 7 % 3 }}|{{ 1 + 2 }}"), sample_context(KIND))
    assert body == "1|3"


def test_escaping_cannot_be_switched_off() -> None:
    source = "<p>x</p>\n{% autoescape false %}{{ scope }}{% endautoescape %}"
    with pytest.raises(UnsafeTemplateError, match="autoescape") as error:
        validate_template(_template(source))
    assert error.value.line == 2


def test_internal_filters_are_not_for_templates() -> None:
    with pytest.raises(UnsafeTemplateError, match="_each"):
        validate_template(_template("{{ payments|_each(1)|list }}"))


def test_deeply_nested_expression_is_a_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="nests too deeply"):
        validate_template(_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"))


def test_a_stored_recursive_template_stops_at_render() -> None:
    # a template stored before the upload check existed never reaches Python's own limit
    recursive = _template("{% macro a() %}x{{ a() }}{% endmacro %}\n{{ a() }}")
    with pytest.raises(TemplateTooLarge) as error:
        render_body(recursive, sample_context(KIND))
    assert str(MAX_MACRO_DEPTH) in error.value.message and error.value.line is not None


def test_ordinary_filters_loops_and_concatenation_render_as_before() -> None:
    source = ("{% macro row(p) %}<li>{{ p.description ~ ':' ~ p.percent }}</li>{% endmacro %}"
              "<ul>{% for p in payments %}{{ row(p) }}{% if loop.last %}."
              "{% endif %}{% endfor %}</ul>"
              "{{ payments|reverse|join('、', attribute='percent') }}")
    context = sample_context(KIND)
    body = render_body(_template(source), context)
    items = "".join(f"<li>{p['description']}:{p['percent']}</li>" for p in context["payments"])
    percents = "、".join(str(p["percent"]) for p in reversed(context["payments"]))
    assert body == f"<ul>{items}.</ul>{percents}"


def test_errors_cross_from_a_render_worker_intact() -> None:
    data_error = pickle.loads(pickle.dumps(InvalidDocumentData("winner.name", "too long")))
    assert (data_error.field, data_error.reason) == ("winner.name", "too long")
    expansion_error = pickle.loads(pickle.dumps(TemplateTooLarge("too big", 4)))
    assert isinstance(expansion_error, TemplateRejected)
    assert (expansion_error.message, expansion_error.line) == ("too big", 4)
