"""Bulk import of firms into the registries (批量导入), for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from market.errors import InvalidInput
from market.models import FirmStatus, Registry, Role
from market.registry.importing import import_file
from web.auth import requires
from web.dependencies import CurrentActor, State, UoW
from web.registry_results import ImportView


@dataclass
class ImportUpload:
    """The multipart form: the file, and how to import it."""

    file: UploadFile
    kind: str | None = None  # contractor | intermediary, for a file without a 库别 column
    skip_invalid: bool = False
    status: str = FirmStatus.ADMITTED.value  # of new firms: admitted | applied


def _choice(value: str | None, allowed: type[Registry] | type[FirmStatus], name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in {m.value for m in allowed}:
        names = ", ".join(m.value for m in allowed)
        raise InvalidInput(f"{value!r} is not a valid {name}; use {names}", field=name)
    return value


class RegistryImportController(Controller):
    path = "/api/registry/imports"
    tags = ["registry"]
    guards = [requires(Role.ADMIN)]

    @post(
        "/",
        status_code=200,
        summary="Import firms from a CSV or XLSX file (批量导入)",
        description="Multipart form: 'file' (.csv in UTF-8 or GB18030, or .xlsx; one firm per row, "
        "see docs/registry-import.md), 'kind' (contractor or intermediary, when the file has no "
        "库别 column), 'skip_invalid' (true: import the good rows and list the bad ones), 'status' "
        "of new firms (admitted or applied). Every row is checked first: with a bad row and "
        "without skip_invalid nothing is imported and the 422 lists every bad row ('rows': line, "
        "USCC, problems). A USCC already registered is updated, not added again.",
    )
    async def import_firms(
        self,
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> ImportView:
        kind = _choice(data.kind, Registry, "kind")
        status = _choice(data.status, FirmStatus, "status") or FirmStatus.ADMITTED.value
        content = await data.file.read()
        await data.file.close()
        report = await import_file(
            uow,
            content,
            data.file.filename or "upload.csv",
            actor=actor,
            now=app_state.clock.now(),
            kind=Registry(kind) if kind else None,
            skip_invalid=data.skip_invalid,
            status=FirmStatus(status),
            vocabulary=app_state.vocabulary,
        )
        await uow.commit()
        return ImportView.of(report)
