"""Dashboard pages for businesses, members and strategies.

Forms post back to the page (no JavaScript needed) and validate through the API's pydantic
models, so both say the same thing; a refused form re-renders with each field's error and the
values entered. Every page takes its business from the access dependencies of
:mod:`growth_manager.business.access`: a stranger gets the same 404 page whether the business
exists or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from growth_manager.auth.dependencies import DbSession, PageUser
from growth_manager.business.access import (
    BusinessAccess,
    BusinessEditor,
    BusinessOwner,
    BusinessViewer,
    MemberOrOwner,
    businesses_of,
    error_page,
)
from growth_manager.business.schemas import (
    DAY_NAMES,
    BusinessCreate,
    BusinessUpdate,
    MemberAdd,
    StrategyFields,
    known_timezones,
)
from growth_manager.business.service import businesses, members, stored_fields, strategies
from growth_manager.errors import AppError, plain_validation_message
from growth_manager.kit.timeofday import split_times
from growth_manager.models.business import Business, Role, Strategy
from growth_manager.models.content import PLATFORM_ORDER
from growth_manager.models.user import User
from growth_manager.providers.registry import descriptor
from growth_manager.web.templating import flash, page_context, redirect, render

router = APIRouter(include_in_schema=False)

ROLE_HELP = {
    "viewer": "reads everything",
    "editor": "also writes strategies and drafts",
    "owner": "also manages the business and its members",
}
LIST_SEPARATORS = re.compile(r"[,\n]")


async def read_form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]


def field_errors(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """Field name (dotted, without list indexes) → its first message."""
    errors: dict[str, str] = {}
    for item in error.errors():
        parts = [str(p) for p in item["loc"] if not isinstance(p, int)]
        key = prefix + ".".join(parts) if parts else "form"
        errors.setdefault(key, plain_validation_message(item))
    return errors


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


# Businesses -------------------------------------------------------------------------------------
BUSINESS_FIELDS = ("name", "timezone", "website", "industry", "description")


def _business_values(source: Business | FormData | None) -> dict[str, str]:
    if source is None:
        return dict.fromkeys(BUSINESS_FIELDS, "")
    if isinstance(source, Business):
        return {field: getattr(source, field) or "" for field in BUSINESS_FIELDS}
    return {field: _text(source, field) for field in BUSINESS_FIELDS}


def _business_payload(values: Mapping[str, str]) -> dict[str, Any]:
    # A blank time zone means UTC, as in the API; the page pre-fills the browser's zone.
    return {**values, "timezone": values["timezone"] or "UTC"}


def _list_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "business/list.html",
        page_context(
            session,
            user,
            None,
            items=businesses_of(session, user),
            values=values or _business_values(None),
            errors=errors or {},
            timezones=sorted(known_timezones()),
        ),
        status_code=status_code,
    )


@router.get("/businesses")
def business_list(request: Request, session: DbSession, user: PageUser) -> Response:
    return _list_page(request, session, user)


@router.post("/businesses")
def business_create(request: Request, session: DbSession, user: PageUser, form: Form) -> Response:
    values = _business_values(form)
    try:
        data = BusinessCreate.model_validate(_business_payload(values))
    except ValidationError as exc:
        return _list_page(
            request, session, user, values=values, errors=field_errors(exc), status_code=422
        )
    business = businesses.create(session, user, data)
    flash(request, f"{business.name} is ready. Next: describe your strategy.")
    return redirect(f"/businesses/{business.id}")


def _settings_page(
    request: Request,
    session: DbSession,
    access: BusinessAccess,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "business/settings.html",
        page_context(
            session,
            access.user,
            access,
            business=access.business,
            values=values or _business_values(access.business),
            errors=errors or {},
            can_manage=access.can(Role.owner),
            timezones=sorted(known_timezones()),
        ),
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/settings")
def business_settings(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    return _settings_page(request, session, access)


@router.post("/businesses/{business_id}/settings")
def business_settings_save(
    request: Request, session: DbSession, access: BusinessOwner, form: Form
) -> Response:
    values = _business_values(form)
    try:
        data = BusinessCreate.model_validate(_business_payload(values))
    except ValidationError as exc:
        return _settings_page(
            request, session, access, values=values, errors=field_errors(exc), status_code=422
        )
    # The form always sends every field, so a blank website or industry clears it.
    businesses.update(session, access, BusinessUpdate.model_validate(data.model_dump()))
    flash(request, "Business details saved.")
    return redirect(f"/businesses/{access.business.id}/settings")


@router.post("/businesses/{business_id}/delete")
def business_delete(
    request: Request, session: DbSession, access: BusinessOwner, form: Form
) -> Response:
    if _text(form, "confirm_name") != access.business.name:
        return _settings_page(
            request,
            session,
            access,
            errors={"confirm_name": "type the business's name exactly to confirm"},
            status_code=422,
        )
    name = access.business.name
    businesses.delete(session, request.app.state.settings, access)
    flash(request, f"{name} and everything in it was deleted.")
    return redirect("/businesses")


# Members ----------------------------------------------------------------------------------------
def _members_page(
    request: Request,
    session: DbSession,
    access: BusinessAccess,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "business/members.html",
        page_context(
            session,
            access.user,
            access,
            business=access.business,
            members=members.list(session, access),
            roles=[role.value for role in reversed(Role)],
            role_help=ROLE_HELP,
            values=values or {"email": "", "role": Role.editor.value},
            errors=errors or {},
            can_manage=access.can(Role.owner),
        ),
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/members")
def member_list(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    return _members_page(request, session, access)


@router.post("/businesses/{business_id}/members")
def member_add(request: Request, session: DbSession, access: BusinessOwner, form: Form) -> Response:
    values = {"email": _text(form, "email"), "role": _text(form, "role")}
    try:
        data = MemberAdd.model_validate(values)
        _member, added = members.add(session, access, data)
    except ValidationError as exc:
        return _members_page(
            request, session, access, values=values, errors=field_errors(exc), status_code=422
        )
    except AppError as exc:
        return _members_page(
            request,
            session,
            access,
            values=values,
            errors={"email": exc.detail},
            status_code=exc.status_code,
        )
    flash(request, f"{added.email} was added as {data.role.value}.")
    return redirect(f"/businesses/{access.business.id}/members")


@router.post("/businesses/{business_id}/members/{user_id}/role")
def member_role(
    request: Request, user_id: int, session: DbSession, access: BusinessOwner, form: Form
) -> Response:
    try:
        role = Role(_text(form, "role"))
    except ValueError:
        return _members_page(
            request,
            session,
            access,
            errors={"form": "role: choose viewer, editor or owner"},
            status_code=422,
        )
    try:
        _member, changed = members.change_role(session, access, user_id, role)
    except AppError as exc:
        # The failed change was flushed; undo it before the page reads the members again.
        session.rollback()
        return _members_with_error(request, session, access, exc)
    flash(request, f"{changed.email} is now {role.value}.")
    if changed.id == access.user.id and role != Role.owner:
        return redirect(f"/businesses/{access.business.id}")
    return redirect(f"/businesses/{access.business.id}/members")


@router.post("/businesses/{business_id}/members/{user_id}/remove")
def member_remove(
    request: Request, user_id: int, session: DbSession, access: MemberOrOwner
) -> Response:
    try:
        members.remove(session, access, user_id)
    except AppError as exc:
        session.rollback()
        return _members_with_error(request, session, access, exc)
    if user_id == access.user.id:
        flash(request, f"You left {access.business.name}.")
        return redirect("/businesses")
    flash(request, "The member was removed.")
    return redirect(f"/businesses/{access.business.id}/members")


def _members_with_error(
    request: Request, session: DbSession, access: BusinessAccess, error: AppError
) -> Response:
    # The refused change was rolled back, so the access still holds: the caller is the member
    # they were, and the page reads the members as they are.
    return _members_page(
        request, session, access, errors={"form": error.detail}, status_code=error.status_code
    )


# Strategies -------------------------------------------------------------------------------------
def _strategy_values(source: Strategy | FormData | None) -> dict[str, Any]:
    """What the form shows: strings as typed, so a refused form comes back as entered."""
    blank_cadence = {"posts_per_week": "3", "preferred_days": [], "preferred_hours": ""}
    values: dict[str, Any] = {
        "name": "",
        "goals": "",
        "target_audience": "",
        "tone_of_voice": "",
        "topics": "",
        "keywords": "",
        "platforms": [],
        "cadence": {p.value: dict(blank_cadence) for p in PLATFORM_ORDER},
        "start_date": "",
        "end_date": "",
        "is_active": True,
    }
    if isinstance(source, Strategy):
        stored = stored_fields(source)
        values.update(
            {key: stored[key] for key in ("name", "goals", "target_audience", "tone_of_voice")}
        )
        values["topics"] = "\n".join(stored["topics"])
        values["keywords"] = "\n".join(stored["keywords"])
        values["platforms"] = stored["platforms"]
        values["start_date"] = stored["start_date"] or ""
        values["end_date"] = stored["end_date"] or ""
        values["is_active"] = stored["is_active"]
        for platform, cadence in stored["cadence"].items():
            values["cadence"][platform] = {
                "posts_per_week": str(cadence.get("posts_per_week", 0)),
                "preferred_days": [str(day) for day in cadence.get("preferred_days", [])],
                "preferred_hours": ", ".join(str(h) for h in cadence.get("preferred_hours", [])),
            }
    elif source is not None:
        for key in ("name", "goals", "target_audience", "tone_of_voice", "topics", "keywords"):
            values[key] = _text(source, key)
        values["platforms"] = _texts(source, "platforms")
        values["start_date"] = _text(source, "start_date")
        values["end_date"] = _text(source, "end_date")
        values["is_active"] = _text(source, "is_active") in ("on", "true", "1")
        for platform in values["cadence"]:
            values["cadence"][platform] = {
                "posts_per_week": _text(source, f"cadence.{platform}.posts_per_week"),
                "preferred_days": _texts(source, f"cadence.{platform}.preferred_days"),
                "preferred_hours": _text(source, f"cadence.{platform}.preferred_hours"),
            }
    return values


def _split(text: str, pattern: re.Pattern[str] = LIST_SEPARATORS) -> list[str]:
    return [part.strip() for part in pattern.split(text) if part.strip()]


def _strategy_payload(values: dict[str, Any]) -> dict[str, Any]:
    cadence = {
        platform: {
            "posts_per_week": values["cadence"][platform]["posts_per_week"],
            "preferred_days": values["cadence"][platform]["preferred_days"],
            "preferred_hours": split_times(values["cadence"][platform]["preferred_hours"]),
        }
        # Fields of unticked platforms are still in the form (hidden); they are not part of it.
        for platform in values["platforms"]
        if platform in values["cadence"]
    }
    return {
        "name": values["name"],
        "goals": values["goals"],
        "target_audience": values["target_audience"],
        "tone_of_voice": values["tone_of_voice"],
        "topics": _split(values["topics"]),
        "keywords": _split(values["keywords"]),
        "platforms": values["platforms"],
        "cadence": cadence,
        "start_date": values["start_date"] or None,
        "end_date": values["end_date"] or None,
        "is_active": values["is_active"],
    }


def _strategy_form(
    request: Request,
    session: DbSession,
    access: BusinessAccess,
    *,
    strategy: Strategy | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "business/strategy_form.html",
        page_context(
            session,
            access.user,
            access,
            business=access.business,
            strategy=strategy,
            values=values,
            errors=errors or {},
            platforms=[(p.value, descriptor(p.value).display_name) for p in PLATFORM_ORDER],
            day_names=DAY_NAMES,
            can_edit=access.can(Role.editor),
        ),
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/strategies")
def strategy_list(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    return render(
        request,
        "business/strategies.html",
        page_context(
            session,
            access.user,
            access,
            business=access.business,
            strategies=strategies.list(session, access),
            can_edit=access.can(Role.editor),
        ),
    )


@router.get("/businesses/{business_id}/strategies/new")
def strategy_new(request: Request, session: DbSession, access: BusinessEditor) -> Response:
    return _strategy_form(request, session, access, strategy=None, values=_strategy_values(None))


@router.post("/businesses/{business_id}/strategies")
def strategy_create(
    request: Request, session: DbSession, access: BusinessEditor, form: Form
) -> Response:
    values = _strategy_values(form)
    try:
        data = StrategyFields.model_validate(_strategy_payload(values))
    except ValidationError as exc:
        return _strategy_form(
            request,
            session,
            access,
            strategy=None,
            values=values,
            errors=field_errors(exc),
            status_code=422,
        )
    strategy = strategies.create(session, access, data)
    flash(request, f"Strategy {strategy.name} was created.")
    return redirect(f"/businesses/{access.business.id}/strategies/{strategy.id}")


@router.get("/businesses/{business_id}/strategies/{strategy_id}")
def strategy_detail(
    request: Request, strategy_id: int, session: DbSession, access: BusinessViewer
) -> Response:
    try:
        strategy = strategies.get(session, access, strategy_id)
    except AppError as exc:
        return error_page(request, session, access.user, exc)
    return _strategy_form(
        request, session, access, strategy=strategy, values=_strategy_values(strategy)
    )


@router.post("/businesses/{business_id}/strategies/{strategy_id}")
def strategy_save(
    request: Request, strategy_id: int, session: DbSession, access: BusinessEditor, form: Form
) -> Response:
    try:
        strategy = strategies.get(session, access, strategy_id)
    except AppError as exc:
        return error_page(request, session, access.user, exc)
    values = _strategy_values(form)
    try:
        data = StrategyFields.model_validate(_strategy_payload(values))
    except ValidationError as exc:
        return _strategy_form(
            request,
            session,
            access,
            strategy=strategy,
            values=values,
            errors=field_errors(exc),
            status_code=422,
        )
    strategies.replace(session, access, strategy_id, data)
    flash(request, "Strategy saved.")
    return redirect(f"/businesses/{access.business.id}/strategies/{strategy_id}")


@router.post("/businesses/{business_id}/strategies/{strategy_id}/delete")
def strategy_delete(
    request: Request, strategy_id: int, session: DbSession, access: BusinessEditor
) -> Response:
    try:
        strategy = strategies.get(session, access, strategy_id)
        strategies.delete(session, access, strategy_id)
    except AppError as exc:
        return error_page(request, session, access.user, exc)
    flash(request, f"Strategy {strategy.name} was deleted.")
    return redirect(f"/businesses/{access.business.id}/strategies")
