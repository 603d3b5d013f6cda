"""Input data of the documents: plain, frozen, self-validating dataclasses.

Each dataclass checks its fields when it is built, so a document object that exists is
a document that can be rendered; every text and list has a length limit
(:mod:`contracts.field_limits`). A problem raises :class:`InvalidDocumentData` naming
the field. ``from_dict`` builds a document from JSON-like data (strings for dates and
amounts, lists for tuples) and names the field by its full path (``winner.uscc``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Self

from contracts.amounts import check_amount
from contracts.errors import InvalidDocumentData
from contracts.field_limits import check_items, check_length
from contracts.uscc import InvalidUscc
from contracts.uscc import normalise as normalise_uscc


class DocumentKind(StrEnum):
    """The documents the platform issues."""

    SELECTION_NOTICE = "selection_notice"
    SERVICE_CONTRACT = "service_contract"
    WORKS_CONTRACT = "works_contract"
    RESULT_NOTICE = "result_notice"

    @property
    def label(self) -> str:
        """The document's title in Chinese."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    DocumentKind.SELECTION_NOTICE: "中选通知书",
    DocumentKind.SERVICE_CONTRACT: "中介服务合同",
    DocumentKind.WORKS_CONTRACT: "小额工程施工合同",
    DocumentKind.RESULT_NOTICE: "成交结果公示",
}


class ProcurementKind(StrEnum):
    """What is being bought: an intermediary service (中介超市) or small works (小额工程)."""

    INTERMEDIARY_SERVICE = "intermediary_service"
    SMALL_WORKS = "small_works"

    @property
    def label(self) -> str:
        """Chinese name of the procurement kind."""
        return "中介服务" if self is ProcurementKind.INTERMEDIARY_SERVICE else "小额工程"


class SelectionMethod(StrEnum):
    """How the winner was chosen."""

    RANDOM_DRAW = "random_draw"
    DIRECT_SELECTION = "direct_selection"
    PRICE_COMPETITION = "price_competition"

    @property
    def label(self) -> str:
        """Chinese name of the selection method."""
        return {"random_draw": "随机抽取", "direct_selection": "直接选取",
                "price_competition": "竞价选取"}[self.value]


class DisputeResolution(StrEnum):
    """Where disputes go when negotiation fails (the two options of the model contracts)."""

    LITIGATION = "litigation"
    ARBITRATION = "arbitration"

    @property
    def label(self) -> str:
        """The clause text of the option."""
        if self is DisputeResolution.LITIGATION:
            return "向甲方所在地有管辖权的人民法院提起诉讼"
        return "提交韶关仲裁委员会，按照申请仲裁时该会现行有效的仲裁规则进行仲裁"


def _text(value: str, field: str) -> None:
    if not value.strip():
        raise InvalidDocumentData(field, "must not be empty")


def _uscc(value: str, field: str) -> None:
    try:
        normalise_uscc(value)
    except InvalidUscc as error:
        raise InvalidDocumentData(field, str(error)) from None


def _amount(value: Decimal, field: str) -> None:
    check_amount(value, field)


def _percent(value: Decimal, field: str) -> None:
    check_amount(value, field)
    if not Decimal(0) < value <= Decimal(100):
        raise InvalidDocumentData(field, "must be a percentage above 0 and at most 100")


def _positive(value: int, field: str) -> None:
    if value < 1:
        raise InvalidDocumentData(field, "must be at least 1")


class _Validated:
    """Type-checks every field of a dataclass after ``__init__`` and runs field rules."""

    _hints: ClassVar[dict[str, Any]]

    def __post_init__(self) -> None:
        cls = type(self)
        if "_hints" not in cls.__dict__:
            cls._hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            _check_type(value, cls._hints[field.name], field.name)
            check_length(value, field.name)
            check = field.metadata.get("check")
            if check is not None:
                check(value, field.name)
        self.check()

    def check(self) -> None:
        """Rules across fields; subclasses override."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from JSON-like data: ISO strings for dates, decimal strings for amounts,
        enum values as strings, lists for tuples, nested mappings for nested objects."""
        return typing.cast(Self, _convert(data, cls, ""))


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", str(annotation))


def _check_type(value: Any, annotation: Any, field: str) -> None:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return
        (inner,) = [o for o in options if o is not type(None)]
        _check_type(value, inner, field)
        return
    if origin is tuple:
        if not isinstance(value, tuple):
            raise InvalidDocumentData(field, f"must be a tuple, not {type(value).__name__}")
        (item_type, _ellipsis) = typing.get_args(annotation)
        for index, item in enumerate(value):
            _check_type(item, item_type, f"{field}[{index}]")
        return
    if annotation is int and isinstance(value, bool):
        raise InvalidDocumentData(field, "must be an integer, not bool")
    if annotation is date and isinstance(value, datetime):
        raise InvalidDocumentData(field, "must be a date, not a datetime")
    if not isinstance(value, annotation):
        raise InvalidDocumentData(
            field, f"must be {_type_name(annotation)}, not {type(value).__name__}")
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise InvalidDocumentData(field, "must be timezone-aware")


def _convert(value: Any, annotation: Any, path: str) -> Any:
    """Turn JSON-like ``value`` into ``annotation``; the constructors then validate."""
    name = path or "data"
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [o for o in typing.get_args(annotation) if o is not type(None)]
        return _convert(value, inner, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise InvalidDocumentData(name, f"must be a list, not {type(value).__name__}")
        check_items(len(value), path.rpartition(".")[2], name)  # before building its items
        (item_type, _ellipsis) = typing.get_args(annotation)
        return tuple(_convert(v, item_type, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(annotation):
        if not isinstance(value, Mapping):
            raise InvalidDocumentData(name, f"must be an object, not {type(value).__name__}")
        hints = typing.get_type_hints(annotation)
        known = {f.name: f for f in dataclasses.fields(annotation)}
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise InvalidDocumentData(_join(path, unknown[0]), "is not a known field")
        kwargs = {}
        for fname, f in known.items():
            if fname not in value:
                if (f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING):
                    raise InvalidDocumentData(_join(path, fname), "is missing")
                continue
            kwargs[fname] = _convert(value[fname], hints[fname], _join(path, fname))
        try:
            return typing.cast(Any, annotation)(**kwargs)
        except InvalidDocumentData as error:
            raise error.nested_in(path) if path else error from None
    try:
        if isinstance(annotation, type) and issubclass(annotation, StrEnum) and isinstance(value, str):
            return annotation(value)
        if annotation is Decimal and isinstance(value, str):
            return check_amount(value, name)
        if annotation is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if annotation is date and isinstance(value, str):
            return date.fromisoformat(value)
    except ValueError as error:
        if isinstance(error, InvalidDocumentData):
            raise
        raise InvalidDocumentData(name, f"{value!r} is not a valid {_type_name(annotation)}") from None
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclasses.dataclass(frozen=True)
class Party(_Validated):
    """A legal person named in a document (甲方, 乙方, owner, winner).

    ``uscc`` is the 18-character unified social credit code (统一社会信用代码), checked
    with its check character; ``representative`` is the legal representative
    (法定代表人) or person in charge (负责人).
    """

    name: str = dataclasses.field(metadata={"check": _text})
    uscc: str = dataclasses.field(metadata={"check": _uscc})
    address: str = dataclasses.field(metadata={"check": _text})
    representative: str = dataclasses.field(metadata={"check": _text})
    contact: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""

    def __post_init__(self) -> None:
        # Stored in the one form (:func:`contracts.uscc.normalise`), so that the document's
        # parties are matched against the organisations' codes, which are stored so too.
        if isinstance(self.uscc, str):
            # an invalid one is left as written: the field's check names it with its path
            with contextlib.suppress(InvalidUscc):
                object.__setattr__(self, "uscc", normalise_uscc(self.uscc))
        super().__post_init__()


@dataclasses.dataclass(frozen=True)
class Procurement(_Validated):
    """The procurement a document belongs to.

    ``reference`` is the project number (项目编号) the platform gave it; ``category`` the
    service type (造价咨询, 工程测量…) or works field (房屋建筑和市政工程, 交通公路, 水利,
    能源电力).
    """

    reference: str = dataclasses.field(metadata={"check": _text})
    title: str = dataclasses.field(metadata={"check": _text})
    kind: ProcurementKind
    category: str = dataclasses.field(metadata={"check": _text})
    location: str = ""


@dataclasses.dataclass(frozen=True)
class Term(_Validated):
    """Service period or construction period (服务期限 / 工期), both ends included."""

    start: date
    end: date

    def check(self) -> None:
        """The period must not end before it starts."""
        if self.end < self.start:
            raise InvalidDocumentData("end", "must not be before start")

    @property
    def days(self) -> int:
        """Calendar days of the period, both ends included (日历天)."""
        return (self.end - self.start).days + 1


@dataclasses.dataclass(frozen=True)
class PaymentStage(_Validated):
    """One instalment: when it is due (支付节点) and its share of the price in percent."""

    description: str = dataclasses.field(metadata={"check": _text})
    percent: Decimal = dataclasses.field(metadata={"check": _percent})


@dataclasses.dataclass(frozen=True)
class SelectionSummary(_Validated):
    """How the winner was selected, as printed on the notices.

    ``selected_at`` is timezone-aware; ``candidates`` the number of intermediaries or
    contractors that took part; ``record_reference`` identifies the published draw
    record anyone can re-run.
    """

    method: SelectionMethod
    selected_at: datetime
    candidates: int = dataclasses.field(metadata={"check": _positive})
    record_reference: str = ""
    remarks: str = ""


def _check_payments(payments: tuple[PaymentStage, ...]) -> None:
    if not payments:
        raise InvalidDocumentData("payments", "must list at least one instalment")
    total = sum((p.percent for p in payments), Decimal(0))
    if total != Decimal(100):
        raise InvalidDocumentData("payments", f"percentages must add up to 100, not {total}")


_PAYMENTS_RULE = {"check": lambda value, field: _check_payments(value)}


@dataclasses.dataclass(frozen=True)
class SelectionNotice(_Validated):
    """中选通知书: tells the winner it was selected and must sign by ``contract_deadline``."""

    kind: ClassVar[DocumentKind] = DocumentKind.SELECTION_NOTICE
    document_number: str = dataclasses.field(metadata={"check": _text})
    procurement: Procurement
    owner: Party
    winner: Party
    amount: Decimal = dataclasses.field(metadata={"check": _amount})
    selection: SelectionSummary
    issued_on: date
    contract_deadline: date

    def check(self) -> None:
        """The signing deadline cannot precede the notice."""
        if self.contract_deadline < self.issued_on:
            raise InvalidDocumentData("contract_deadline", "must not be before issued_on")


def _digest(value: str, field: str) -> None:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidDocumentData(field, "must be 64 lowercase hex digits (SHA-256)")


@dataclasses.dataclass(frozen=True)
class ChainCheckpoint(_Validated):
    """A published checkpoint of the platform's audit chain (审计链检查点): the seal's
    number ``seq``, its ``hash`` and when it was published (timezone-aware). Printed on a
    result notice, it lets anyone holding the notice ask later whether the chain still
    contains that seal (``market audit verify --checkpoint SEQ:HASH``), which catches the
    removal of the chain's newest entries together with their seals."""

    seq: int = dataclasses.field(metadata={"check": _positive})
    hash: str = dataclasses.field(metadata={"check": _digest})
    published_at: datetime


@dataclasses.dataclass(frozen=True)
class ResultNotice(_Validated):
    """成交结果公示: the public notice of the result and its publicity period, and the
    audit chain's ``checkpoint`` published at the selection (left out of the canonical
    JSON while None, so that notices issued before checkpoints keep their digests)."""

    kind: ClassVar[DocumentKind] = DocumentKind.RESULT_NOTICE
    document_number: str = dataclasses.field(metadata={"check": _text})
    procurement: Procurement
    owner: Party
    winner: Party
    amount: Decimal = dataclasses.field(metadata={"check": _amount})
    selection: SelectionSummary
    issued_on: date
    publicity_start: date
    publicity_end: date
    objection_contact: str = dataclasses.field(metadata={"check": _text})
    participants: tuple[str, ...] = ()
    checkpoint: ChainCheckpoint | None = None

    def check(self) -> None:
        """The publicity period must be a real period."""
        if self.publicity_end < self.publicity_start:
            raise InvalidDocumentData("publicity_end", "must not be before publicity_start")


class ConfirmingRole(StrEnum):
    """Which side of a contract confirmed it: the owner (甲方) or the firm (乙方)."""

    FIRST_PARTY = "甲方"
    SECOND_PARTY = "乙方"


@dataclasses.dataclass(frozen=True)
class Confirmation(_Validated):
    """One party's online confirmation of a contract (电子确认): who confirmed for which
    organisation, when (timezone-aware), and the SHA-256 of the contract text it confirmed
    (:func:`confirmable_digest`: the contract's canonical data without confirmations), so
    that the issued PDF shows that both parties confirmed the same text."""

    role: ConfirmingRole
    organisation: str = dataclasses.field(metadata={"check": _text})
    confirmed_by: str = dataclasses.field(metadata={"check": _text})
    confirmed_at: datetime
    digest: str = dataclasses.field(metadata={"check": _digest})


def _check_confirmations(confirmations: tuple[Confirmation, ...]) -> None:
    roles = [c.role for c in confirmations]
    if len(set(roles)) != len(roles):
        raise InvalidDocumentData("confirmations", "each party confirms once")
    # the owner (甲方) confirms first, then the firm (乙方): the order of the issue
    if roles and roles[0] is not ConfirmingRole.FIRST_PARTY:
        raise InvalidDocumentData("confirmations", "the first party (甲方) confirms first")
    if len(confirmations) == 2 and confirmations[1].confirmed_at < confirmations[0].confirmed_at:
        raise InvalidDocumentData("confirmations", "the second party confirms after the first")
    if len({c.digest for c in confirmations}) > 1:
        raise InvalidDocumentData("confirmations", "both parties confirm the same digest")


_CONFIRMATIONS_RULE = {"check": lambda value, field: _check_confirmations(value)}

#: Left out of the canonical JSON while empty (or None), so that documents without them
#: (every one issued before they existed) keep their canonical bytes and digests.
_OMITTED_WHEN_EMPTY = frozenset({"confirmations", "checkpoint"})


@dataclasses.dataclass(frozen=True)
class ServiceContract(_Validated):
    """中介服务合同 between the owner (甲方, ``client``) and the intermediary (乙方)."""

    kind: ClassVar[DocumentKind] = DocumentKind.SERVICE_CONTRACT
    document_number: str = dataclasses.field(metadata={"check": _text})
    procurement: Procurement
    client: Party
    provider: Party
    amount: Decimal = dataclasses.field(metadata={"check": _amount})
    term: Term
    scope: str = dataclasses.field(metadata={"check": _text})
    payments: tuple[PaymentStage, ...] = dataclasses.field(metadata=_PAYMENTS_RULE)
    issued_on: date
    deliverables: str = ""
    quality_requirements: str = ""
    signing_place: str = "广东省韶关市"
    dispute_resolution: DisputeResolution = DisputeResolution.LITIGATION
    confirmations: tuple[Confirmation, ...] = dataclasses.field(default=(), metadata=_CONFIRMATIONS_RULE)


@dataclasses.dataclass(frozen=True)
class WorksContract(_Validated):
    """小额工程施工合同 between the owner (甲方, ``employer``) and the contractor (乙方).

    ``retention_percent`` is the quality guarantee retention (质量保证金), which national
    rules cap at 3 % of the settled price.
    """

    kind: ClassVar[DocumentKind] = DocumentKind.WORKS_CONTRACT
    document_number: str = dataclasses.field(metadata={"check": _text})
    procurement: Procurement
    employer: Party
    contractor: Party
    amount: Decimal = dataclasses.field(metadata={"check": _amount})
    term: Term
    scope: str = dataclasses.field(metadata={"check": _text})
    site: str = dataclasses.field(metadata={"check": _text})
    project_manager: str = dataclasses.field(metadata={"check": _text})
    payments: tuple[PaymentStage, ...] = dataclasses.field(metadata=_PAYMENTS_RULE)
    issued_on: date
    quality_standard: str = "合格"
    warranty_months: int = 24
    retention_percent: Decimal = Decimal("3.00")
    signing_place: str = "广东省韶关市"
    dispute_resolution: DisputeResolution = DisputeResolution.LITIGATION
    confirmations: tuple[Confirmation, ...] = dataclasses.field(default=(), metadata=_CONFIRMATIONS_RULE)

    def check(self) -> None:
        """Retention within the national 3 % cap; a warranty of at least one month."""
        check_amount(self.retention_percent, "retention_percent")
        if self.retention_percent > Decimal(3):
            raise InvalidDocumentData("retention_percent", "must not exceed 3 (percent)")
        if self.warranty_months < 1:
            raise InvalidDocumentData("warranty_months", "must be at least 1")


#: Every document dataclass, by kind.
Document = SelectionNotice | ResultNotice | ServiceContract | WorksContract
DOCUMENT_TYPES: dict[DocumentKind, type[Any]] = {
    DocumentKind.SELECTION_NOTICE: SelectionNotice,
    DocumentKind.RESULT_NOTICE: ResultNotice,
    DocumentKind.SERVICE_CONTRACT: ServiceContract,
    DocumentKind.WORKS_CONTRACT: WorksContract,
}


def document_from_dict(kind: DocumentKind | str, data: Mapping[str, Any]) -> Document:
    """Build the document dataclass of ``kind`` from JSON-like ``data``.

    Raises :class:`InvalidDocumentData` naming the full path of the first bad field.
    """
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        raise InvalidDocumentData("kind", f"unknown document kind {kind!r}") from None
    return typing.cast(Document, DOCUMENT_TYPES[document_kind].from_dict(data))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.name in _OMITTED_WHEN_EMPTY and getattr(value, f.name) in ((), None))
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def canonical_json(document: Document) -> bytes:
    """The document's data as canonical JSON (sorted keys, no spaces, UTF-8).

    Amounts are written with two places and dates in ISO 8601, so equal data always gives
    equal bytes; the document's content digest is computed over these bytes.
    """
    payload = {"kind": document.kind.value, "data": _plain(document)}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


Contract = ServiceContract | WorksContract


def confirmable_digest(contract: Contract) -> str:
    """SHA-256 (hex) of the contract's canonical JSON without its confirmations: what each
    party confirms, and what its :class:`Confirmation` records."""
    draft = dataclasses.replace(contract, confirmations=())
    return hashlib.sha256(canonical_json(draft)).hexdigest()
