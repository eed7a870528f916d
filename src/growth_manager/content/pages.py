"""Dashboard pages for drafts: the list and the editor (live per-platform counters and
previews, media upload). The editor measures text through ``POST /api/v1/text/measure`` and
uploads through the media API, so the page and the API share one implementation of the rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessAccess, BusinessEditor, BusinessViewer
from growth_manager.content import rules
from growth_manager.content.repository import content_repository
from growth_manager.content.schemas import (
    DraftCreate,
    DraftUpdate,
    check_out,
    media_out,
)
from growth_manager.content.service import DraftInvalid, drafts
from growth_manager.errors import AppError, InvalidInput, describe_validation_errors
from growth_manager.models.business import Role
from growth_manager.models.content import PLATFORM_ORDER, Platform, Post
from growth_manager.web.templating import flash, page_context, redirect, render

# The editor's fields as the form names them, for validation messages.
FORM_LABELS = {
    "title": "Title",
    "base_text": "Text",
    "strategy_id": "Strategy",
    "platforms": "Publish to",
    "variants": "Own text",
    "variants.x": "Own text for X",
    "variants.linkedin": "Own text for LinkedIn",
    "variants.facebook": "Own text for Facebook",
    "variants.instagram": "Own text for Instagram",
    "media_ids": "Media",
}

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/gif,image/webp,video/mp4"


class DraftForm(BaseModel):
    """The editor's form. Unticked checkboxes are simply absent, hence the defaults."""

    model_config = ConfigDict(extra="ignore")

    csrf_token: str = ""
    title: str = ""
    base_text: str = ""
    strategy_id: str = ""
    platforms: list[str] = []
    media_ids: list[int] = []
    variant_linkedin: str = ""
    variant_x: str = ""
    variant_facebook: str = ""
    variant_instagram: str = ""
    custom_linkedin: str = ""
    custom_x: str = ""
    custom_facebook: str = ""
    custom_instagram: str = ""

    def variants(self) -> dict[Platform, str | None]:
        """A platform ticked "own text" keeps its variant; otherwise it uses the base text."""
        return {
            platform: (getattr(self, f"variant_{platform.value}") or "")
            if getattr(self, f"custom_{platform.value}")
            else None
            for platform in PLATFORM_ORDER
        }

    def strategy(self) -> int | None:
        value = self.strategy_id.strip()
        if not value:
            return None
        if not value.isdigit():
            raise InvalidInput("strategy_id: choose a strategy from the list.")
        return int(value)

    def platform_values(self) -> list[Platform]:
        known = {p.value for p in Platform}
        return [Platform(p) for p in self.platforms if p in known]


FormData = Annotated[DraftForm, Form()]


def _zone(access: BusinessAccess) -> ZoneInfo:
    try:
        return ZoneInfo(access.business.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _snippet(text: str, length: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


@router.get("/businesses/{business_id}/drafts")
def drafts_page(
    request: Request,
    access: BusinessViewer,
    session: DbSession,
    page: Annotated[int, Query(ge=1)] = 1,
    strategy_id: Annotated[str, Query()] = "",
) -> Response:
    strategy_filter = int(strategy_id) if strategy_id.isdigit() else None
    posts, total = drafts.list_page(
        session,
        access,
        strategy_id=strategy_filter,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    strategies = content_repository.list_strategies(session, access.business.id)
    names = {strategy.id: strategy.name for strategy in strategies}
    zone = _zone(access)
    rows = [
        {
            "id": post.id,
            "title": post.title or _snippet(post.base_text, 60) or "Untitled draft",
            "snippet": _snippet(post.base_text),
            "status": post.status.value,
            "platforms": [rules.RULES[p].name for p in rules.ordered(post.platforms)],
            "custom": {variant.platform for variant in post.variants},
            "strategy": names.get(post.strategy_id) if post.strategy_id else None,
            "media_count": len(post.media_links),
            "updated": _local(post.updated_at, zone),
            "updated_iso": post.updated_at.isoformat(),
        }
        for post in posts
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "content/drafts.html",
        page_context(
            session,
            access.user,
            access,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            strategies=strategies,
            strategy_filter=strategy_filter,
            can_edit=access.role.allows(Role.editor),
        ),
    )


def _editor(
    request: Request,
    session: Session,
    access: BusinessAccess,
    *,
    post: Post | None,
    form: DraftForm | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    """The editor, filled from the saved draft, or from what was typed when saving failed."""
    business_id = access.business.id
    media_items: list[dict[str, Any]] = []
    state: dict[str, Any]
    if form is not None:
        # Keep exactly what was typed; attachments are re-read so a stale id simply drops out.
        found = content_repository.media_by_ids(session, business_id, form.media_ids)
        media_items = [
            media_out(found[i]).model_dump(mode="json") for i in form.media_ids if i in found
        ]
        state = {
            "title": form.title,
            "base": form.base_text,
            "strategy_id": form.strategy_id,
            "platforms": [p.value for p in form.platform_values()],
            "variants": {
                p.value: {
                    "custom": bool(getattr(form, f"custom_{p.value}")),
                    "text": getattr(form, f"variant_{p.value}"),
                }
                for p in PLATFORM_ORDER
            },
        }
    else:
        variants = {variant.platform: variant.text for variant in post.variants} if post else {}
        if post is not None:
            media_items = [
                media_out(link.media).model_dump(mode="json") for link in post.media_links
            ]
        state = {
            "title": post.title if post else "",
            "base": post.base_text if post else "",
            "strategy_id": str(post.strategy_id) if post and post.strategy_id else "",
            "platforms": [p.value for p in rules.ordered(post.platforms)]
            if post
            else [p.value for p in PLATFORM_ORDER],
            "variants": {
                p.value: {"custom": p in variants, "text": variants.get(p, "")}
                for p in PLATFORM_ORDER
            },
        }
    checks = []
    for platform in PLATFORM_ORDER:
        variant = state["variants"][platform.value]
        text = variant["text"] if variant["custom"] else state["base"]
        checks.append(
            check_out(rules.measure(platform, text), not variant["custom"]).model_dump(mode="json")
        )
    state["checks"] = {check["platform"]: check for check in checks}
    state["media"] = media_items
    platforms_info = [
        {
            "platform": item.platform.value,
            "name": item.name,
            "limit": item.limit,
            "note": item.counting_note or "",
            "max_hashtags": item.max_hashtags,
            "max_images": item.media.max_images,
            "max_videos": item.media.max_videos,
            "max_items": item.media.max_items,
            "can_mix": item.media.can_mix,
            "requires_media": item.media.requires_media,
        }
        for item in (rules.RULES[p] for p in PLATFORM_ORDER)
    ]
    can_edit = access.role.allows(Role.editor)
    return render(
        request,
        "content/editor.html",
        page_context(
            session,
            access.user,
            access,
            post=post,
            state=state,
            platforms_info=platforms_info,
            strategies=content_repository.list_strategies(session, business_id),
            errors=errors or [],
            can_edit=can_edit,
            accept=ACCEPT_ATTRIBUTE,
            urls={
                "measure": "/api/v1/text/measure",
                "upload": f"/api/v1/businesses/{business_id}/media",
            },
        ),
        status_code=status_code,
    )


def _problems(exc: AppError) -> list[str]:
    if isinstance(exc, DraftInvalid):
        return exc.problems
    return [exc.detail]


@router.get("/businesses/{business_id}/drafts/new")
def new_draft_page(request: Request, access: BusinessEditor, session: DbSession) -> Response:
    return _editor(request, session, access, post=None)


@router.post("/businesses/{business_id}/drafts/new")
def create_draft_form(
    request: Request, form: FormData, access: BusinessEditor, session: DbSession
) -> Response:
    try:
        data = DraftCreate(
            title=form.title,
            base_text=form.base_text,
            strategy_id=form.strategy(),
            platforms=form.platform_values(),
            variants=form.variants(),
            media_ids=form.media_ids,
        )
        post = drafts.create(session, access, data)
    except ValidationError as exc:
        session.rollback()
        errors = [describe_validation_errors(list(exc.errors()), FORM_LABELS)]
        return _editor(
            request, session, access, post=None, form=form, errors=errors, status_code=422
        )
    except (InvalidInput, DraftInvalid) as exc:
        session.rollback()
        return _editor(
            request, session, access, post=None, form=form, errors=_problems(exc), status_code=422
        )
    flash(request, "Draft saved.")
    return redirect(f"/businesses/{access.business.id}/drafts/{post.id}")


@router.get("/businesses/{business_id}/drafts/{draft_id}")
def edit_draft_page(
    request: Request, draft_id: int, access: BusinessViewer, session: DbSession
) -> Response:
    post = drafts.get(session, access, draft_id)
    return _editor(request, session, access, post=post)


@router.post("/businesses/{business_id}/drafts/{draft_id}")
def update_draft_form(
    request: Request, draft_id: int, form: FormData, access: BusinessEditor, session: DbSession
) -> Response:
    post = drafts.get(session, access, draft_id)
    try:
        data = DraftUpdate(
            title=form.title,
            base_text=form.base_text,
            strategy_id=form.strategy(),
            platforms=form.platform_values(),
            variants=form.variants(),
            media_ids=form.media_ids,
        )
        drafts.update(session, access, draft_id, data)
    except ValidationError as exc:
        session.rollback()
        errors = [describe_validation_errors(list(exc.errors()), FORM_LABELS)]
        return _editor(
            request, session, access, post=post, form=form, errors=errors, status_code=422
        )
    except (InvalidInput, DraftInvalid) as exc:
        # The failed changes must not be committed by the request boundary.
        session.rollback()
        return _editor(
            request, session, access, post=post, form=form, errors=_problems(exc), status_code=422
        )
    flash(request, "Draft saved.")
    return redirect(f"/businesses/{access.business.id}/drafts/{draft_id}")


@router.post("/businesses/{business_id}/drafts/{draft_id}/delete")
def delete_draft_form(
    request: Request, draft_id: int, access: BusinessEditor, session: DbSession
) -> Response:
    drafts.delete(session, access, draft_id)
    flash(request, "Draft deleted.")
    return redirect(f"/businesses/{access.business.id}/drafts")
