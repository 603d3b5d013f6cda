"""Bounds on what a template may do while it renders.

The sandbox stops a template from reaching outside its data, but not from *expanding*:
two calls of a macro in a chain of twenty macros print its text a million times, and
loops nested over a list multiply. Checking the size of the body after the render comes
too late (a 2**21 expansion took 30 s before it was refused), so the render is metered
while it runs, in a :class:`Budget` that every step draws on:

* each loop iteration and each macro call is one *step* (at most :data:`MAX_RENDER_STEPS`);
* every character produced (printed values, filter and ``~`` / ``+`` results, macro
  results, the literal text of a loop body on each iteration) is charged against
  :data:`MAX_RENDER_CHARS`; one value may not exceed :data:`MAX_VALUE_CHARS`;
* macros nest at most :data:`MAX_MACRO_DEPTH` deep;
* a filter whose result can be sized from its arguments (``replace``, ``center``,
  ``indent``, ``wordwrap``, ``join``) is refused *before* it builds an oversized string.

The limits count, they never time: a template that renders once renders the same way on
a busy machine, which keeps an issued document reproducible. Going past one raises
:class:`~contracts.errors.TemplateTooLarge`, a :class:`~contracts.errors.TemplateRejected`.

At upload, :func:`check_macro_calls` refuses a macro that calls itself, directly or
through other macros, so such a template never gets stored.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes, pass_context, pass_eval_context
from jinja2.runtime import Context, Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from contracts.errors import TemplateTooLarge, UnsafeTemplateError

#: Loop iterations plus macro calls in one render. The built-in templates need a few
#: hundred; a result notice listing 500 participants about a thousand.
MAX_RENDER_STEPS = 50_000

#: Characters produced in one render, counting nested output again at every level.
MAX_RENDER_CHARS = 8_000_000

#: Largest single value (text or list) a template may build, about 100 printed pages;
#: it also caps what a comparison inside a loop can cost.
MAX_VALUE_CHARS = 200_000

#: Deepest nesting of macro calls (the sandbox refuses recursion at upload; this is the
#: guard for a template stored before that check existed).
MAX_MACRO_DEPTH = 32

_BUDGET: contextvars.ContextVar[Budget] = contextvars.ContextVar("template_budget")


@dataclass
class Budget:
    """What one render has used so far."""

    steps: int = 0
    chars: int = 0
    depth: int = 0

    def step(self, chars: int = 0) -> None:
        self.steps += 1
        if self.steps > MAX_RENDER_STEPS:
            raise TemplateTooLarge(
                f"the template runs more than {MAX_RENDER_STEPS} loop iterations and macro calls")
        self.charge(chars)

    def charge(self, chars: int) -> None:
        self.chars += chars
        if self.chars > MAX_RENDER_CHARS:
            raise TemplateTooLarge(
                f"the template produces more than {MAX_RENDER_CHARS} characters while it renders")


def metered(render: Callable[[], str]) -> str:
    """Run ``render`` (one template render) against a fresh :class:`Budget`."""
    token = _BUDGET.set(Budget())
    try:
        return render()
    finally:
        _BUDGET.reset(token)


def _charge(value: Any) -> None:
    """Charge a value built by the template; outside a render (constant folding while
    compiling) only its size is checked."""
    size = _size(value)
    if size > MAX_VALUE_CHARS:
        raise TemplateTooLarge(f"a value of the template would exceed {MAX_VALUE_CHARS} characters")
    budget = _BUDGET.get(None)
    if budget is not None:
        budget.charge(size)


def _size(value: Any) -> int:
    if isinstance(value, str | list | tuple):
        return len(value)
    return 0


def _refuse_oversized(estimate: int) -> None:
    if estimate > MAX_VALUE_CHARS:
        raise TemplateTooLarge(f"a value of the template would exceed {MAX_VALUE_CHARS} characters")


class MeteredEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the budget's hooks: macro calls, ``+`` and ``%``, printed values."""

    intercepted_binops = frozenset({"+", "%"})

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(obj, Macro):
            return super().call(context, obj, *args, **kwargs)
        budget = _BUDGET.get()
        budget.step()
        if budget.depth >= MAX_MACRO_DEPTH:
            raise TemplateTooLarge(f"macros call each other more than {MAX_MACRO_DEPTH} deep")
        budget.depth += 1
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        _charge(result)
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            # "%999999999d" % 1 builds a gigabyte before anything could measure it
            raise UnsafeTemplateError("% formatting of text is not allowed")
        if operator == "+":
            _refuse_oversized(_size(left) + _size(right))
        result = super().call_binop(context, operator, left, right)
        _charge(result)
        return result


def printed(value: Any) -> Any:
    """The environment's ``finalize``: charges every printed value."""
    budget = _BUDGET.get(None)
    if budget is not None:
        budget.charge(len(str(value)))
    return value


# -- filters ------------------------------------------------------------------------------
def _lines(text: str) -> int:
    return text.count("\n") + 1


def _replace_size(a: Mapping[str, Any]) -> int:
    s, old, new = str(a["s"]), str(a["old"]), str(a["new"])
    hits = s.count(old) if old else len(s) + 1
    return len(s) + hits * max(len(new) - len(old), 0)


def _center_size(a: Mapping[str, Any]) -> int:
    width = a.get("width", 80)
    return max(len(str(a["value"])), width if isinstance(width, int) else 0)


def _indent_size(a: Mapping[str, Any]) -> int:
    width = a.get("width", 4)
    step = width if isinstance(width, int) else len(str(width))
    s = str(a["s"])
    return len(s) + _lines(s) * max(step, 0)


def _wordwrap_size(a: Mapping[str, Any]) -> int:
    s, width = str(a["s"]), a.get("width", 79)
    wrap = a.get("wrapstring") or "\r\n"
    breaks = _lines(s) + (len(s) // width if isinstance(width, int) and width > 0 else 0)
    return len(s) + breaks * len(str(wrap))


def _join_size(a: Mapping[str, Any]) -> int:
    items = a["value"]
    return sum(len(str(item)) for item in items) + max(len(items) - 1, 0) * len(str(a.get("d", "")))


_SIZES: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "replace": _replace_size,
    "center": _center_size,
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "join": _join_size,
}


def metered_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` refusing a result it can foresee is too large, and charging the result.

    ``functools.wraps`` keeps Jinja's ``pass_eval_context``/``pass_environment`` mark."""
    size_of = _SIZES.get(name)
    signature = inspect.signature(func)

    @functools.wraps(func)
    def metered(*args: Any, **kwargs: Any) -> Any:
        if size_of is not None:
            bound = signature.bind(*args, **kwargs)
            if name == "join":  # an iterator (from |reverse) is measured and joined once
                bound.arguments["value"] = list(bound.arguments["value"])
            _refuse_oversized(size_of(bound.arguments))
            args, kwargs = bound.args, bound.kwargs
        result = func(*args, **kwargs)
        _charge(result)
        return result

    return metered


@pass_context
def _each(context: Context, iterable: Iterable[Any], weight: int) -> Iterator[Any]:
    # pass_context: never folded at compile time, where there is no budget
    budget = _BUDGET.get()
    for item in iterable:
        budget.step(weight)
        yield item


@pass_eval_context
def _concat(eval_ctx: Any, operands: list[Any]) -> str:
    _refuse_oversized(sum(len(str(o)) for o in operands))
    result = (markup_join if eval_ctx.autoescape else str_join)(operands)
    _charge(result)
    return result


INTERNAL_FILTERS: dict[str, Callable[..., Any]] = {"_each": _each, "_concat": _concat}


# -- the syntax tree ----------------------------------------------------------------------
def _literal_chars(body: list[nodes.Node]) -> int:
    total = 0
    for statement in body:
        for node in statement.find_all((nodes.TemplateData, nodes.Const)):
            if isinstance(node, nodes.TemplateData):
                total += len(node.data)
            elif isinstance(node, nodes.Const) and isinstance(node.value, str):
                total += len(node.value)
    return total


def meter_tree(tree: nodes.Template) -> nodes.Template:
    """Route every loop through ``_each`` (one step per iteration, charged with the literal
    text of its body) and every ``~`` through ``_concat`` (sized before it joins)."""
    for loop in list(tree.find_all(nodes.For)):
        weight = nodes.Const(1 + _literal_chars(loop.body))
        loop.iter = nodes.Filter(loop.iter, "_each", [weight], [], None, None)
        loop.iter.set_lineno(loop.lineno)
    # children before parents, so that a ``~`` inside a ``~`` is rewritten where it stays
    for parent in reversed(list(tree.find_all(nodes.Node))):
        for field in parent.fields:
            child = getattr(parent, field)
            if isinstance(child, nodes.Concat):
                setattr(parent, field, _concat_node(child))
            elif isinstance(child, list):
                setattr(parent, field, [_concat_node(c) if isinstance(c, nodes.Concat) else c
                                        for c in child])
    return tree


def _concat_node(node: nodes.Concat) -> nodes.Filter:
    operands = nodes.List(node.nodes)
    replacement = nodes.Filter(operands, "_concat", [], [], None, None)
    replacement.set_lineno(node.lineno)
    return replacement


def check_macro_calls(tree: nodes.Template) -> None:
    """Refuse a macro that calls itself, directly or through others, and a variable that
    takes a macro's name (which would let a call reach a macro under another name)."""
    macros = {m.name: m for m in tree.find_all(nodes.Macro)}
    for variable in tree.find_all(nodes.Name):
        if variable.ctx in ("store", "param") and variable.name in macros:
            raise UnsafeTemplateError(
                f"{variable.name!r} is a macro and cannot also be a variable", variable.lineno)
    calls = {
        name: {c.node.name for c in macro.find_all(nodes.Call)
               if isinstance(c.node, nodes.Name) and c.node.name in macros}
        for name, macro in macros.items()
    }
    # depth-first, without recursion: a chain of a few thousand macros is still only a chain
    done: set[str] = set()
    for start in sorted(macros):
        path: list[str] = []
        pending: list[tuple[str, bool]] = [(start, True)]
        while pending:
            name, entering = pending.pop()
            if not entering:
                path.pop()
                done.add(name)
                continue
            if name in path:
                cycle = " → ".join([*path[path.index(name):], name])
                raise UnsafeTemplateError(
                    f"macro {name!r} calls itself ({cycle}); recursion is not allowed",
                    macros[name].lineno)
            if name in done:
                continue
            path.append(name)
            pending.append((name, False))
            pending.extend((callee, True) for callee in sorted(calls[name], reverse=True))
