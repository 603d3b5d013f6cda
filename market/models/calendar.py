"""Years of China's working-day calendar imported by an administrator (see docs/calendar.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class ImportedCalendarYear(Base):
    """One year's holidays and working weekends as the State Council published them; it
    replaces what the ``chinese-calendar`` library says about that year. A new import of
    the year replaces the row (the audit log keeps every import)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # ISO day -> holiday name, e.g. {"2027-02-06": "春节"}
    holidays: Mapped[dict[str, str]] = mapped_column(JSONB)
    working_days: Mapped[dict[str, str]] = mapped_column(JSONB)
    source_text: Mapped[str] = mapped_column(Text)  # the file as imported
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2199", name="year_range"),)
