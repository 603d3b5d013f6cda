"""``create_app(settings)``: the Litestar application."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.logging.config import BaseLoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from market import lifecycle
from market.award import documents as award_documents
from market.clock import Clock
from market.db import Database
from market.document_check import MAX_UPLOAD_BYTES
from market.document_office import DocumentOffice
from market.errors import ConfigurationError
from market.procurement.terms import procurement_terms_of
from market.registry.vocabulary import vocabulary_of
from market.sandbox_time import anchor, clock_for
from market.scheduler import BackgroundWork
from market.settings import Settings
from web.api_docs import OfflineSwaggerUI
from web.auth import PUBLIC, SessionMiddleware
from web.controllers.accounts import OrganisationController, UserController
from web.controllers.audit import AuditController
from web.controllers.award import AwardController
from web.controllers.award_contract import ContractController, MyAwardsController, OverdueController
from web.controllers.bidding_pages import BiddingPages
from web.controllers.bids import BidController, OpeningController
from web.controllers.calendar import CalendarController
from web.controllers.checkpoints import CheckpointController, CheckpointPages
from web.controllers.contract_pages import AwardPages, ContractPages, OverduePages
from web.controllers.delivery import AcceptanceController, DeliveryController, EvaluationController
from web.controllers.delivery_pages import AcceptancePages, FirmDeliveryPages
from web.controllers.documents import DocumentController, TemplateController, VerificationPages
from web.controllers.draw import DrawController
from web.controllers.draw_pages import DrawPages, ReferencePages
from web.controllers.evaluation_pages import EvaluationSupervisionPages, FirmEvaluationPages
from web.controllers.health import healthz
from web.controllers.home import home, verify_lookup
from web.controllers.objection_pages import ObjectionPages
from web.controllers.objections import ObjectionController
from web.controllers.ocds import OcdsController
from web.controllers.offer_pages import OfferPages
from web.controllers.offers import OfferChainController, OfferController
from web.controllers.owner_pages import OwnerPages
from web.controllers.procurement_attachments import ProcurementAttachmentController
from web.controllers.procurement_pages import ProcurementPages
from web.controllers.procurements import ProcurementController
from web.controllers.registry import RegistryController
from web.controllers.registry_admin import RegistryAdministration
from web.controllers.registry_import import RegistryImportController
from web.controllers.registry_pages import RegistryPages
from web.controllers.review import ReviewController
from web.controllers.review_pages import ReviewPages
from web.controllers.round_pages import DirectRequestPages, RoundPages
from web.controllers.rounds import RoundController
from web.controllers.sessions import SessionController
from web.controllers.sign_in_pages import SignInPages
from web.controllers.supervision_alerts import AlertController, AlertPages
from web.controllers.supervision_history import HistoryController, HistoryPages
from web.controllers.supervision_records import SupervisionRecordController, SupervisionRecordPages
from web.controllers.supervision_screens import ScreenController, ScreenPages
from web.controllers.supervision_statistics import DashboardPages, StatisticsController
from web.dependencies import DEPENDENCIES
from web.errors import EXCEPTION_HANDLERS
from web.inputs import CheckedRequest, InputCheckMiddleware
from web.metrics import REQUEST_METRICS, metrics
from web.observability import log_requests
from web.openapi import ErrorResponses
from web.security import CSRF_COOKIE, BrowserRequestGuard, csrf_config, security_headers
from web.state import AppState
from web.verify_rate import verify_rate_limit

WEB_DIR = Path(__file__).parent

ROUTE_HANDLERS: list[Any] = [
    home,
    verify_lookup,
    healthz,
    metrics,
    SessionController,
    UserController,
    OrganisationController,
    AuditController,
    DocumentController,
    VerificationPages,
    TemplateController,
    RegistryController,
    RegistryAdministration,
    RegistryPages,
    RegistryImportController,
    CalendarController,
    SignInPages,
    ProcurementPages,
    OwnerPages,
    ProcurementController,
    ProcurementAttachmentController,
    DrawController,
    ReviewController,
    ReviewPages,
    OfferController,
    OfferChainController,
    OfferPages,
    RoundController,
    RoundPages,
    DirectRequestPages,
    DrawPages,
    ReferencePages,
    BidController,
    OpeningController,
    BiddingPages,
    CheckpointController,
    CheckpointPages,
    SupervisionRecordController,
    SupervisionRecordPages,
    ScreenController,
    ScreenPages,
    HistoryController,
    HistoryPages,
    OcdsController,
    StatisticsController,
    DashboardPages,
    ObjectionController,
    ObjectionPages,
    DeliveryController,
    AcceptanceController,
    EvaluationController,
    FirmDeliveryPages,
    AcceptancePages,
    FirmEvaluationPages,
    EvaluationSupervisionPages,
    ContractController,
    MyAwardsController,
    OverdueController,
    ContractPages,
    AwardPages,
    OverduePages,
    AwardController,
    AlertController,
    AlertPages,
    create_static_files_router(
        path="/static", directories=[WEB_DIR / "static"], opt=PUBLIC, include_in_schema=False
    ),
]


def _quiet_libraries() -> None:
    # APScheduler logs every tick at INFO; the operator only needs its warnings.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    background: bool | None = None,
    logging_config: BaseLoggingConfig | None = None,
) -> Litestar:
    """Build the app. ``settings.database_url`` must be set (the CLI starts the embedded
    server first), unless a ``database`` is handed in. ``logging_config`` replaces
    Litestar's default (``market serve`` passes JSON lines)."""
    if database is None:
        if settings.database_url is None:
            raise ConfigurationError("create_app needs settings.database_url or a database")
        database = Database.connect(settings.database_url, pool_size=settings.pool_size)

    state = AppState(
        settings=settings,
        database=database,
        clock=clock or clock_for(settings),
        documents=DocumentOffice(settings),
        vocabulary=vocabulary_of(settings),
    )
    _quiet_libraries()
    run_background = settings.scheduler_enabled if background is None else background

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        state.bid_key()  # a missing or exposed key file stops the start, before any bid
        await anchor(state.clock, settings, database)  # sandbox time: before any request reads it
        work = BackgroundWork(
            database,
            seal_interval_seconds=settings.audit_seal_interval_seconds,
            clock=state.clock,
            advance=functools.partial(
                lifecycle.advance,
                database,
                state.bid_key(),
                vocabulary=state.vocabulary,
                terms=procurement_terms_of(settings),
            ),
            issue_notices=functools.partial(
                award_documents.issue_pending,
                database,
                state.documents,
                terms=procurement_terms_of(settings),
                vocabulary=state.vocabulary,
            ),
        )
        if run_background:
            work.start()
            state.background = work
        try:
            yield
        finally:
            if run_background:
                await work.stop()
            state.documents.close()
            await database.dispose()

    # before the session middleware: a refused cross-site request costs no session lookup
    browser_guard = BrowserRequestGuard(csrf_config(settings), settings.auth.cookie_name)
    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        dependencies=DEPENDENCIES,
        # inputs first: a NUL must not reach even the session lookup
        middleware=[
            InputCheckMiddleware(),
            *verify_rate_limit(settings),
            browser_guard,
            SessionMiddleware(),
        ],
        request_class=CheckedRequest,
        before_send=[security_headers(settings)],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[ErrorResponses()],  # documents every operation's error answers
        lifespan=[lifespan],
        state=State({"market": state}),
        openapi_config=OpenAPIConfig(
            title="market — 韶关市公共资源交易 电子交易平台 API",
            version="0.1.0",
            description="Contractor pool (小额工程企业库), intermediary services supermarket "
            "(中介超市), auditable selection, sealed documents and the audit log.",
            path="/schema",
            # /schema/openapi.json is added by Litestar; no UI that needs a CDN
            render_plugins=[
                OfflineSwaggerUI(title=settings.platform_name, csrf_cookie=CSRF_COOKIE),
                YamlRenderPlugin(),
            ],
            tags=[
                Tag(name="platform"),
                Tag(name="accounts"),
                Tag(name="registry"),
                Tag(name="audit"),
                Tag(name="documents"),
                Tag(name="calendar"),
                Tag(name="bids"),
            ],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="token from POST /api/auth/login"
                    ),
                }
            ),
            security=[{"bearer": []}],
        ),
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine),
        request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024,  # room for the multipart envelope
        debug=False,
        **({"logging_config": logging_config} if logging_config else {}),
    )
    log_requests(app, REQUEST_METRICS)
    return app
