"""REST API for businesses, their members and their strategies. Thin: the access dependencies
resolve the business and the role (404 for non-members, before the body is even validated),
the services apply the rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from growth_manager.auth.dependencies import CurrentUser, DbSession
from growth_manager.business.access import (
    BusinessEditor,
    BusinessOwner,
    BusinessViewer,
    MemberOrOwner,
    businesses_of,
)
from growth_manager.business.schemas import (
    BusinessCreate,
    BusinessList,
    BusinessOut,
    BusinessUpdate,
    MemberAdd,
    MemberList,
    MemberOut,
    MemberUpdate,
    StrategyCreate,
    StrategyList,
    StrategyOut,
    StrategyUpdate,
    business_out,
    strategy_out,
)
from growth_manager.business.service import businesses, members, strategies
from growth_manager.models.business import BusinessMember, Role
from growth_manager.models.user import User

router = APIRouter(prefix="/api/v1", tags=["businesses"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such business, or you are not one of its members."}
}


def member_out(member: BusinessMember, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=member.role,
        added_at=member.created_at,
    )


# Businesses -------------------------------------------------------------------------------------
@router.get(
    "/businesses",
    response_model=BusinessList,
    summary="List your businesses",
    description="Every business you are a member of, by name, with your role in each.",
)
def list_businesses(user: CurrentUser, session: DbSession) -> BusinessList:
    return BusinessList(
        items=[business_out(business, role) for business, role in businesses_of(session, user)]
    )


@router.post(
    "/businesses",
    response_model=BusinessOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a business",
    description="You become its owner. `timezone` must be an IANA name such as "
    "`Europe/Berlin`; a 422 names the field otherwise.",
)
def create_business(body: BusinessCreate, user: CurrentUser, session: DbSession) -> BusinessOut:
    return business_out(businesses.create(session, user, body), Role.owner)


@router.get(
    "/businesses/{business_id}",
    response_model=BusinessOut,
    summary="Get a business",
    description="Any member may read it.",
    responses=NOT_FOUND,
)
def get_business(access: BusinessViewer) -> BusinessOut:
    return business_out(access.business, access.role)


@router.patch(
    "/businesses/{business_id}",
    response_model=BusinessOut,
    summary="Change a business",
    description="Only the fields sent change; `website` or `industry` null clears it. Needs the "
    "owner role.",
    responses=NOT_FOUND,
)
def update_business(body: BusinessUpdate, access: BusinessOwner, session: DbSession) -> BusinessOut:
    return business_out(businesses.update(session, access, body), access.role)


@router.delete(
    "/businesses/{business_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a business",
    description="Deletes the business with everything in it: members, strategies, drafts and "
    "connected accounts. Needs the owner role. Cannot be undone.",
    responses=NOT_FOUND,
)
def delete_business(access: BusinessOwner, session: DbSession, request: Request) -> None:
    businesses.delete(session, request.app.state.settings, access)


# Members ----------------------------------------------------------------------------------------
@router.get(
    "/businesses/{business_id}/members",
    response_model=MemberList,
    summary="List members",
    description="Everyone with access to the business and their role. Any member may read.",
    responses=NOT_FOUND,
)
def list_members(access: BusinessViewer, session: DbSession) -> MemberList:
    return MemberList(items=[member_out(m, u) for m, u in members.list(session, access)])


@router.post(
    "/businesses/{business_id}/members",
    response_model=MemberOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a member",
    description="Adds an existing user, found by email, with a role (viewer reads, editor "
    "writes content, owner also manages the business and its members). 404 when no user has "
    "the email, 409 when they are already a member. Needs the owner role.",
    responses={**NOT_FOUND, 409: {"description": "Already a member."}},
)
def add_member(body: MemberAdd, access: BusinessOwner, session: DbSession) -> MemberOut:
    return member_out(*members.add(session, access, body))


@router.patch(
    "/businesses/{business_id}/members/{user_id}",
    response_model=MemberOut,
    summary="Change a member's role",
    description="Needs the owner role. 409 when it would leave the business without an owner.",
    responses={**NOT_FOUND, 409: {"description": "The business would have no owner."}},
)
def change_member_role(
    user_id: int, body: MemberUpdate, access: BusinessOwner, session: DbSession
) -> MemberOut:
    return member_out(*members.change_role(session, access, user_id, body.role))


@router.delete(
    "/businesses/{business_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
    description="Owners may remove anyone; any member may remove themselves (leave). 409 when "
    "it would leave the business without an owner.",
    responses={**NOT_FOUND, 409: {"description": "The business would have no owner."}},
)
def remove_member(user_id: int, access: MemberOrOwner, session: DbSession) -> None:
    members.remove(session, access, user_id)


# Strategies -------------------------------------------------------------------------------------
@router.get(
    "/businesses/{business_id}/strategies",
    response_model=StrategyList,
    summary="List strategies",
    description="Active strategies first, then by name. Any member may read.",
    responses=NOT_FOUND,
)
def list_strategies(access: BusinessViewer, session: DbSession) -> StrategyList:
    return StrategyList(items=[strategy_out(s) for s in strategies.list(session, access)])


@router.post(
    "/businesses/{business_id}/strategies",
    response_model=StrategyOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a strategy",
    description="Platforms are a subset of linkedin, x, facebook, instagram; `cadence` may only "
    "name listed platforms, with 0–50 posts per week, preferred days 0–6 (Monday–Sunday) and "
    "hours 0–23 in the business's time zone. `end_date` must not be before `start_date`. "
    "Needs the editor role.",
    responses=NOT_FOUND,
)
def create_strategy(
    body: StrategyCreate, access: BusinessEditor, session: DbSession
) -> StrategyOut:
    return strategy_out(strategies.create(session, access, body))


@router.get(
    "/businesses/{business_id}/strategies/{strategy_id}",
    response_model=StrategyOut,
    summary="Get a strategy",
    description="Any member may read it.",
    responses=NOT_FOUND,
)
def get_strategy(strategy_id: int, access: BusinessViewer, session: DbSession) -> StrategyOut:
    return strategy_out(strategies.get(session, access, strategy_id))


@router.patch(
    "/businesses/{business_id}/strategies/{strategy_id}",
    response_model=StrategyOut,
    summary="Change a strategy",
    description="Only the fields sent change, and the result must satisfy the same rules as a "
    "new strategy. Changing `platforms` without `cadence` drops the cadence of platforms no "
    "longer listed. Needs the editor role.",
    responses=NOT_FOUND,
)
def update_strategy(
    strategy_id: int, body: StrategyUpdate, access: BusinessEditor, session: DbSession
) -> StrategyOut:
    return strategy_out(strategies.update(session, access, strategy_id, body))


@router.delete(
    "/businesses/{business_id}/strategies/{strategy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a strategy",
    description="Drafts made from it stay, no longer linked to a strategy. Needs the editor role.",
    responses=NOT_FOUND,
)
def delete_strategy(strategy_id: int, access: BusinessEditor, session: DbSession) -> None:
    strategies.delete(session, access, strategy_id)
