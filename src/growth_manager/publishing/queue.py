"""An account's queue: its weekly posting slots and the gap between posts, read (falling back
to the strategy's cadence) and saved in ``posting_schedule``; the API and the page share it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess
from growth_manager.errors import InvalidInput, NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Role
from growth_manager.models.publishing import PostingSchedule
from growth_manager.publishing import repository, slots
from growth_manager.publishing.service import PostInvalid, publishing

NEXT_SLOTS = 5


@dataclass
class Queue:
    account: SocialAccount
    weekly: list[slots.WeeklySlot]
    min_gap_minutes: int
    customised: bool
    next_slots: list[datetime]
    notes: list[str] = field(default_factory=list)


def account_of(session: Session, access: BusinessAccess, account_id: int) -> SocialAccount:
    found = repository.accounts(session, access.business.id, [account_id])
    if not found:
        raise NotFound(f"Account {account_id} is not connected to this business.")
    return found[0]


def read(
    session: Session, access: BusinessAccess, account_id: int, now: datetime | None = None
) -> Queue:
    account = account_of(session, access, account_id)
    weekly, gap, customised = publishing.weekly_slots(session, account)
    notes: list[str] = []
    upcoming: list[datetime] = []
    if weekly:
        try:
            upcoming = publishing.next_slots(
                session, access.business.timezone, account, now or utcnow(), count=NEXT_SLOTS
            )
        except PostInvalid as exc:
            notes.extend(exc.problems)
    else:
        notes.append("No weekly slots: posts can't be added to this account's queue.")
    return Queue(
        account=account,
        weekly=weekly,
        min_gap_minutes=int(gap.total_seconds() // 60),
        customised=customised,
        next_slots=upcoming,
        notes=notes,
    )


def parse_slot(weekday: int, at: str) -> slots.WeeklySlot:
    try:
        hour, minute = (int(piece) for piece in at.split(":")[:2])
        return weekday, time(hour, minute)
    except ValueError as exc:
        raise InvalidInput(f"{at!r} is not a time; write it as HH:MM (24 hours).") from exc


def save(
    session: Session,
    access: BusinessAccess,
    account_id: int,
    weekly: list[slots.WeeklySlot],
    min_gap_minutes: int,
    now: datetime | None = None,
) -> Queue:
    """Store the slots (an empty list: back to the strategy's cadence) and the gap."""
    access.require(Role.editor)
    account = account_of(session, access, account_id)
    if not 0 <= min_gap_minutes <= int(timedelta(days=7).total_seconds() // 60):
        raise InvalidInput("The gap between posts is between 0 minutes and a week.")
    if any(not 0 <= day <= 6 for day, _ in weekly):
        raise InvalidInput("A weekday is 0 (Monday) to 6 (Sunday).")
    stored = [[day, at.strftime("%H:%M")] for day, at in sorted(set(weekly))]
    row = repository.schedule_of(session, account.id)
    if row is None:
        row = PostingSchedule(social_account_id=account.id)
        session.add(row)
    row.weekly = stored
    row.min_gap_minutes = min_gap_minutes
    session.flush()
    return read(session, access, account_id, now)
