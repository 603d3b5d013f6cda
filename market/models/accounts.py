"""Organisations, people, their roles and their sign-in sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.models.base import Base, Timestamped, str_enum
from market.principal import Role


class OrganisationKind(enum.StrEnum):
    """What an organisation is on the platform."""

    OWNER = "owner"  # 业主 / 采购人: a public body buying services or works
    INTERMEDIARY = "intermediary"  # 中介机构
    CONTRACTOR = "contractor"  # 施工企业 in the small-works pool
    TRADING_CENTRE = "trading_centre"  # 公共资源交易中心 (supervisors, admins)


class Organisation(Timestamped, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "organisation_kind"))
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码, validated by the service; unique when present.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # the legal representative (法定代表人) its contracts name; issue 13
    representative: Mapped[str] = mapped_column(String(100), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    roles: Mapped[list[UserRole]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="UserRole.role",
        foreign_keys="UserRole.user_id",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # user names are unique regardless of case: "Zhang" and "zhang" are one person
        Index("uq_user_account_username_lower", func.lower(username), unique=True),
        CheckConstraint("username ~ '^[A-Za-z0-9_.@-]{3,64}$'", name="username_format"),
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role.value for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class UserSession(Base):
    """A sign-in. The token itself is never stored, only its SHA-256."""

    __tablename__ = "user_session"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_address: Mapped[str] = mapped_column(String(64), default="", server_default="")


class LoginAttempt(Base):
    """Every login try, kept to rate-limit guessing per account and per address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        Index("ix_login_attempt_username_time", func.lower(username), "attempted_at"),
        Index("ix_login_attempt_address_time", "client_address", "attempted_at"),
    )
