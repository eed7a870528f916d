"""The one scoping point for business-owned data.

Every business-scoped endpoint and page resolves its business through :func:`require_business`
(API routes of this module through the :data:`BusinessViewer`/:data:`BusinessEditor`/
:data:`BusinessOwner` dependencies, which run before the body is validated, so a stranger learns
nothing even from a malformed payload). A user who is not a member gets 404 (not 403), so ids of
other tenants' businesses reveal nothing; a member whose role is too low gets 403 with the role
needed. Child resources (strategies, drafts, accounts…) are then looked up with
``WHERE business_id = :id`` in their repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import CurrentUser, DbSession
from growth_manager.business.repository import business_repository
from growth_manager.errors import NotFound, PermissionDenied
from growth_manager.models.business import Business, Role
from growth_manager.models.user import User


@dataclass(frozen=True)
class BusinessAccess:
    business: Business
    role: Role
    user: User

    def can(self, needed: Role) -> bool:
        return self.role.allows(needed)


def require_business(
    session: Session, user: User, business_id: int, needed: Role = Role.viewer
) -> BusinessAccess:
    found = business_repository.membership(session, user.id, business_id)
    if found is None:
        raise NotFound(f"Business {business_id} was not found.")
    business, role = found
    if not role.allows(needed):
        raise PermissionDenied(
            f"This needs the {needed.value} role in this business; you are {role.value}."
        )
    return BusinessAccess(business=business, role=role, user=user)


def businesses_of(session: Session, user: User) -> list[tuple[Business, Role]]:
    return business_repository.businesses_of(session, user.id)


def _access_dependency(needed: Role) -> object:
    def dependency(business_id: int, user: CurrentUser, session: DbSession) -> BusinessAccess:
        return require_business(session, user, business_id, needed)

    dependency.__name__ = f"business_{needed.value}"
    return Depends(dependency)


BusinessViewer = Annotated[BusinessAccess, _access_dependency(Role.viewer)]
BusinessEditor = Annotated[BusinessAccess, _access_dependency(Role.editor)]
BusinessOwner = Annotated[BusinessAccess, _access_dependency(Role.owner)]
