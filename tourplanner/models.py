"""The domain in tables. Datetimes are UTC and named *_dt; local times live only in windows."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

VENUE_TYPES = ("high_school", "college", "church", "community", "other")
REQUEST_STATUSES = ("submitted", "approved", "declined", "scheduled", "confirmed", "cancelled")
PLAN_STATUSES = ("draft", "published")
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FEED_KINDS = ("team", "member", "venue", "coordinators")
COUNTRIES = ("US", "CA")
DEFAULT_RULES = {
    "day_start": "07:00",
    "day_end": "22:00",
    "max_drive_minutes_per_day": 480,
    "days_off": ["sun"],
    "max_events_per_day": 2,
    "setup_minutes": 30,
    "teardown_minutes": 15,
    "default_duration_minutes": 90,
    "border_crossing_minutes": 60,
    "holidays": True,
}


def now_utc() -> dt.datetime:
    """The one clock of the app: aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a *_dt column; store aware UTC")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def hash_token(token: str) -> str:
    """SHA-256 of a secret link token; only this is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh 256-bit link token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def derived_token(secret: str, salt: str) -> str:
    """A 256-bit link token rebuilt from the app's secret key and a stored salt (HMAC-SHA256).

    A venue's private link goes into every email about its date, so the app must be able to write it
    again; the database alone (hash and salt) still cannot, and a changed SECRET_KEY ends the rebuilding
    (emails then ask the venue to use the link it has).
    """
    digest = hmac.new(secret.encode("utf-8"), b"venue-link:" + salt.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def tokens_match(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(db.Model):
    """A tour coordinator."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    # Flask-Login: the session names the user and a per-user token that logout and password
    # changes rotate, so an old cookie dies with them.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Season(db.Model):
    """One eleven-week tour (spring or fall) with its rules."""

    __tablename__ = "season"
    __table_args__ = (
        CheckConstraint("weeks BETWEEN 1 AND 52", name="weeks_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer, default=11)
    rules: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_RULES))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    teams: Mapped[list[Team]] = relationship(back_populates="season", order_by="Team.id")
    requests: Mapped[list[Request]] = relationship(back_populates="season")
    plans: Mapped[list[Plan]] = relationship(back_populates="season", order_by="Plan.number")

    __mapper_args__ = {"version_id_col": version}

    @property
    def end_date(self) -> dt.date:
        """Last day of the tour (inclusive)."""
        return self.start_date + dt.timedelta(days=7 * self.weeks - 1)

    @property
    def effective_rules(self) -> dict:
        return {**DEFAULT_RULES, **(self.rules or {})}

    def published_plan(self) -> Optional[Plan]:
        """The plan venues and Nomads see: the most recently published version."""
        from sqlalchemy import select

        return db.session.scalar(
            select(Plan)
            .where(Plan.season_id == self.id, Plan.status == "published")
            .order_by(Plan.published_dt.desc(), Plan.number.desc())
            .limit(1)
        )


class Team(db.Model):
    """A van of Nomads: one optimizer vehicle for the whole season."""

    __tablename__ = "team"
    __table_args__ = (
        UniqueConstraint("season_id", "name"),
        CheckConstraint("base_lat BETWEEN -90 AND 90 AND base_lon BETWEEN -180 AND 180", name="base_coords"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(40))  # the optimizer's team id
    name: Mapped[str] = mapped_column(String(80))
    colour: Mapped[str] = mapped_column(String(7), default="#1f77b4")
    base_name: Mapped[str] = mapped_column(String(120), default="")
    base_lat: Mapped[float] = mapped_column(Float)
    base_lon: Mapped[float] = mapped_column(Float)
    base_tz: Mapped[str] = mapped_column(String(64))
    end_lat: Mapped[Optional[float]] = mapped_column(Float)
    end_lon: Mapped[Optional[float]] = mapped_column(Float)
    end_tz: Mapped[Optional[str]] = mapped_column(String(64))
    region_hint: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    season: Mapped[Season] = relationship(back_populates="teams")
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamMember.id"
    )

    __mapper_args__ = {"version_id_col": version}


class TeamMember(db.Model):
    """A Nomad; has a feed of the team's calendar under a personal token."""

    __tablename__ = "team_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")

    team: Mapped[Team] = relationship(back_populates="members")


class Venue(db.Model):
    """A place that hosts screenings, with where the geocoder put it and how sure it is."""

    __tablename__ = "venue"
    __table_args__ = (
        CheckConstraint(_in("type", VENUE_TYPES), name="type_known"),
        CheckConstraint(_in("country", COUNTRIES), name="country_known"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(3), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    country: Mapped[str] = mapped_column(String(2))
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    tz: Mapped[Optional[str]] = mapped_column(String(64))
    geocode_source: Mapped[str] = mapped_column(String(40), default="")
    geocode_precision: Mapped[str] = mapped_column(String(20), default="")
    location_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    show_on_public_map: Mapped[bool] = mapped_column(Boolean, default=False)

    requests: Mapped[list[Request]] = relationship(back_populates="venue")


class Request(db.Model):
    """A venue's request for a screening in one season."""

    __tablename__ = "request"
    __table_args__ = (
        UniqueConstraint("season_id", "ref"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status_known"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        CheckConstraint("audience >= 0", name="audience_nonnegative"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes BETWEEN 15 AND 600", name="duration_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(40))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    audience: Mapped[int] = mapped_column(Integer, default=50)
    duration_minutes: Mapped[Optional[int]] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    status_message: Mapped[str] = mapped_column(Text, default="")
    status_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    status_token_salt: Mapped[Optional[str]] = mapped_column(String(32))  # rebuilds the link (derived_token)
    keep_for_next_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # venue: "try again next season"
    list_on_tour_page: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # venue agreed
    pinned_team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    fixed_start_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # When a coordinator dropped its visit by hand: every later plan leaves it out until someone puts it back.
    dropped_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A repeat sent without the private link never changes the earlier request: it waits here for a coordinator.
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("request.id", ondelete="SET NULL"), index=True)

    season: Mapped[Season] = relationship(back_populates="requests")
    venue: Mapped[Venue] = relationship(back_populates="requests")
    duplicate_of: Mapped[Optional["Request"]] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    pinned_team: Mapped[Optional[Team]] = relationship()
    windows: Mapped[list[AvailabilityWindow]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AvailabilityWindow.id"
    )
    blackouts: Mapped[list[BlackoutDate]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="BlackoutDate.day"
    )
    refused_dates: Mapped[list[RefusedDate]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RefusedDate.day"
    )

    __mapper_args__ = {"version_id_col": version}


class AvailabilityWindow(db.Model):
    """Days and local hours a venue can host: a date range, weekdays, and a time of day."""

    __tablename__ = "availability_window"
    __table_args__ = (
        CheckConstraint("last_date >= first_date", name="dates_ordered"),
        CheckConstraint("end_time > start_time", name="times_ordered"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    first_date: Mapped[dt.date] = mapped_column(Date)
    last_date: Mapped[dt.date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(27), default="mon,tue,wed,thu,fri,sat,sun")
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)

    request: Mapped[Request] = relationship(back_populates="windows")


class BlackoutDate(db.Model):
    """A day inside the windows on which the venue cannot host after all."""

    __tablename__ = "blackout_date"
    __table_args__ = (UniqueConstraint("request_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)

    request: Mapped[Request] = relationship(back_populates="blackouts")


class RefusedDate(db.Model):
    """A proposed date the venue turned down ("ask for another date"): no later plan proposes that day again.

    Kept apart from the venue's own blackout days, which the venue replaces when it edits its availability."""

    __tablename__ = "refused_date"
    __table_args__ = (UniqueConstraint("request_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)  # in the venue's time
    start_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the refused start
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    request: Mapped[Request] = relationship(back_populates="refused_dates")


class Plan(db.Model):
    """One optimizer result for a season: a numbered version, draft until published."""

    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("season_id", "number"),
        CheckConstraint(_in("status", PLAN_STATUSES), name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # version 1, 2, ... within the season
    status: Mapped[str] = mapped_column(String(20), default="draft")
    solver: Mapped[dict] = mapped_column(JSON, default=dict)  # time limit, seed, wall time, engine
    kpis: Mapped[dict] = mapped_column(JSON, default=dict)
    input_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    plan_json: Mapped[str] = mapped_column(Text, default="")  # formats.md section 3, as solved
    instance_json: Mapped[str] = mapped_column(Text, default="")  # formats.md section 2, the input it solved
    note: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    published_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    season: Mapped[Season] = relationship(back_populates="plans")
    visits: Mapped[list[Visit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="(Visit.team_id, Visit.order)"
    )
    overnights: Mapped[list[Overnight]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="(Overnight.team_id, Overnight.day)"
    )
    unserved: Mapped[list[UnservedRequest]] = relationship(back_populates="plan", cascade="all, delete-orphan")


class Visit(db.Model):
    """A screening in a plan: which team serves which request, when."""

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("plan_id", "request_id"),
        CheckConstraint("end_dt > start_dt", name="times_ordered"),
        CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    start_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    order: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCal SEQUENCE
    drive_minutes_before: Mapped[int] = mapped_column(Integer, default=0)
    drive_km_before: Mapped[float] = mapped_column(Float, default=0.0)
    # the car ferry the drive before crosses on (formats.md section 3), when it crosses water
    ferry_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    ferry_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ferry_depart_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)  # iCal DTSTAMP
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship(back_populates="visits")
    request: Mapped[Request] = relationship()
    team: Mapped[Team] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Overnight(db.Model):
    """Where a team sleeps on a date of a plan."""

    __tablename__ = "overnight"
    __table_args__ = (UniqueConstraint("plan_id", "team_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    town: Mapped[str] = mapped_column(String(120), default="")

    plan: Mapped[Plan] = relationship(back_populates="overnights")
    team: Mapped[Team] = relationship()


class UnservedRequest(db.Model):
    """A request a plan does not serve, with the reason a coordinator can act on."""

    __tablename__ = "unserved_request"
    __table_args__ = (UniqueConstraint("plan_id", "request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="unserved")
    request: Mapped[Request] = relationship()


class FeedToken(db.Model):
    """A secret calendar-feed link: for a team, one Nomad, one venue, or all coordinators."""

    __tablename__ = "feed_token"
    __table_args__ = (CheckConstraint(_in("kind", FEED_KINDS), name="kind_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("team_member.id", ondelete="CASCADE"))
    request_id: Mapped[Optional[int]] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    season: Mapped[Season] = relationship()
    team: Mapped[Optional[Team]] = relationship()
    member: Mapped[Optional[TeamMember]] = relationship()
    request: Mapped[Optional[Request]] = relationship()


class Job(db.Model):
    """A background optimization run and its progress."""

    __tablename__ = "job"
    __table_args__ = (CheckConstraint(_in("status", JOB_STATUSES), name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    input_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    plan_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    error: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(120), default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    started_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    heartbeat_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    finished_dt: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    season: Mapped[Season] = relationship()
    plan: Mapped[Optional[Plan]] = relationship()


class GeocodeResult(db.Model):
    """A cached geocoder answer, kept with its source and precision."""

    __tablename__ = "geocode_result"
    __table_args__ = (UniqueConstraint("query", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(40))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    precision: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(3), default="")
    tz: Mapped[str] = mapped_column(String(64), default="")
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
