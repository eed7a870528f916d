"""The one scoping point for business-owned data: who is asking, about which business, with
which role, resolved once at the boundary.

Every business-scoped route, API endpoint and dashboard page alike, takes one of the
dependencies below (:data:`BusinessViewer`, :data:`BusinessEditor`, :data:`BusinessOwner`,
:data:`MemberOrOwner`) and hands the resolved :class:`BusinessAccess` to the services, which
trust it and never look the membership up again. The dependencies run before the body is
validated, so a stranger learns nothing even from a malformed payload.

- A user who is not a member gets 404 (not 403), so ids of other tenants' businesses reveal
  nothing; a member whose role is too low gets 403 naming the role needed.
- The API answers with the one JSON error shape (401 without credentials). A dashboard page
  answers with the error page in the layout (the user's businesses, the bell), or sends a
  signed-out visitor to the login page.

:func:`require_business` is the same check for the rare caller that learns the business from
somewhere other than the request (the OAuth callback reads it from the consumed state, a seed
script from its own rows). Child resources (strategies, drafts, accounts…) are then looked up
with ``WHERE business_id = :id`` in their repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from growth_manager.auth.dependencies import (
    DbSession,
    csrf_protect,
    current_user,
    optional_user,
    page_user,
)
from growth_manager.business.repository import business_repository
from growth_manager.errors import (
    AppError,
    LoginRequired,
    NotAuthenticated,
    NotFound,
    PageAnswer,
    PermissionDenied,
    declares_errors,
)
from growth_manager.models.business import Business, Role
from growth_manager.models.user import User
from growth_manager.web.templating import layout_part, page_context, render


@dataclass(frozen=True)
class BusinessAccess:
    business: Business
    role: Role
    user: User

    def can(self, needed: Role) -> bool:
        return self.role.allows(needed)

    def require(self, needed: Role) -> None:
        """Refuses (403) an action that needs a higher role than this member's."""
        if not self.can(needed):
            raise PermissionDenied(
                f"This needs the {needed.value} role in this business; you are {self.role.value}."
            )


def require_business(
    session: Session, user: User, business_id: int, needed: Role = Role.viewer
) -> BusinessAccess:
    found = business_repository.membership(session, user.id, business_id)
    if found is None:
        raise NotFound(f"Business {business_id} was not found.")
    business, role = found
    access = BusinessAccess(business=business, role=role, user=user)
    access.require(needed)
    return access


def businesses_of(session: Session, user: User) -> list[tuple[Business, Role]]:
    return business_repository.businesses_of(session, user.id)


@layout_part
def _switcher(session: Session, user: User) -> dict[str, Any]:
    """The user's businesses, for the layout's business switcher."""
    return {"businesses": business_repository.businesses_of(session, user.id)}


def is_api(request: Request) -> bool:
    # The app's one line between the API and the dashboard, as for CSRF (page_csrf_protect).
    return request.url.path.startswith("/api/")


def error_page(request: Request, session: Session, user: User, error: AppError) -> HTMLResponse:
    """A refusal as a dashboard page: in the layout, with the way back to the businesses."""
    return render(
        request,
        "business/error.html",
        page_context(session, user, None, error=error),
        status_code=error.status_code,
    )


@declares_errors(401, 403)  # 403: a cookie session without its CSRF token
async def caller(
    request: Request,
    user: Annotated[User | None, Depends(optional_user)],
    _csrf: Annotated[None, Depends(csrf_protect)],
) -> User:
    """The signed-in user by the rules of the route's kind: the API's 401, or a page's
    redirect to the login page. The API's CSRF rule is asked for both; on a page it passes
    wherever the app-wide page rule has already passed."""
    if is_api(request):
        return await current_user(user, _csrf)
    return await page_user(request, user)


Caller = Annotated[User, Depends(caller)]


def resolve(
    request: Request, session: Session, user: User, business_id: int, needed: Role
) -> BusinessAccess:
    """The access check of the dependencies below, for dependencies that learn the business
    from a child resource in the path (a post, a target)."""
    try:
        return require_business(session, user, business_id, needed)
    except AppError as error:
        if is_api(request):
            raise
        raise PageAnswer(error_page(request, session, user, error)) from error


def _needing(needed: Role) -> Any:
    @declares_errors(401, 403, 404)  # the caller's (see caller) and the business's
    async def dependency(request: Request, business_id: int, session: DbSession) -> BusinessAccess:
        """:func:`caller`, then :func:`resolve`, with the caller and the membership looked up on
        one worker thread: every business-scoped request passes here, and each sync dependency
        is a hop to a thread and back (under load, a wait for a free one)."""
        await csrf_protect(request, session)

        def caller_and_business() -> BusinessAccess:
            user = optional_user(request, session)
            if user is None:
                if is_api(request):
                    raise NotAuthenticated()
                raise LoginRequired(str(request.url.path))
            return resolve(request, session, user, business_id, needed)

        return await run_in_threadpool(caller_and_business)

    dependency.__name__ = f"business_{needed.value}"
    return Depends(dependency)


@declares_errors(403, 404)
def member_or_owner(
    request: Request, business_id: int, user_id: int, user: Caller, session: DbSession
) -> BusinessAccess:
    """Any member may act on themselves (leave); acting on another member needs the owner."""
    needed = Role.viewer if user_id == user.id else Role.owner
    return resolve(request, session, user, business_id, needed)


@declares_errors(403, 404)
def owner_of_queried_business(
    request: Request,
    business_id: Annotated[int, Query(description="The business to act on (its id).")],
    user: Caller,
    session: DbSession,
) -> BusinessAccess:
    """For the few routes that name their business in the query string (starting a connect)."""
    return resolve(request, session, user, business_id, Role.owner)


# The business named by the ``business_id`` path parameter, and the caller's role in it.
BusinessViewer = Annotated[BusinessAccess, _needing(Role.viewer)]
BusinessEditor = Annotated[BusinessAccess, _needing(Role.editor)]
BusinessOwner = Annotated[BusinessAccess, _needing(Role.owner)]
# The same with ``user_id`` in the path: the viewer role suffices for oneself.
MemberOrOwner = Annotated[BusinessAccess, Depends(member_or_owner)]
# ``business_id`` in the query string, owner role.
QueriedBusinessOwner = Annotated[BusinessAccess, Depends(owner_of_queried_business)]
