"""The public web pages of posts, where a post's link leads: a Page post on www.facebook.com
(``/{page-id}/posts/{post-id}``, ``/{page-id}_{post-id}``, ``/{page-id}/videos/{video-id}``)
and an Instagram post or reel on www.instagram.com (``/p/{shortcode}/``, ``/reel/{shortcode}/``).

The Graph API's ``permalink_url`` and ``permalink`` point here (under the sandbox's own address),
so a person following a published post's link from the product sees the post: its text, link,
images and the comments written under it. Plain HTML, no scripts, no external assets.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox.meta import metrics
from platform_sandbox.meta.models import (
    MetaComment,
    MetaIgAccount,
    MetaIgMedia,
    MetaPage,
    MetaPhoto,
    MetaPost,
)
from platform_sandbox.platform import context

facebook_router = APIRouter()
instagram_router = APIRouter()

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0;padding:2rem;color:#1c1e21}
article{max-width:34rem;margin:auto;background:#fff;border-radius:.6rem;padding:1.2rem;
box-shadow:0 1px 3px #0003}
header{font-weight:600}time{color:#65676b;font-size:.85rem;display:block}
p.text{white-space:pre-wrap}img{max-width:100%;display:block;margin:.5rem 0}
ul.comments{border-top:1px solid #ddd;padding:.5rem 0 0 1rem;color:#333}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)


def _missing(site: str) -> HTMLResponse:
    return _page(
        site,
        "<article><h1>This content isn't available</h1><p>The link may be broken, or the post "
        "may have been removed.</p></article>",
        404,
    )


def _time(at: datetime) -> str:
    return f'<time datetime="{at.isoformat()}">{at:%d %B %Y %H:%M} UTC</time>'


def _comments(session: Session, object_id: str) -> str:
    rows = session.scalars(
        select(MetaComment)
        .where(MetaComment.object_id == object_id)
        .order_by(MetaComment.created_at, MetaComment.id)
    ).all()
    if not rows:
        return ""
    items = "".join(f"<li><b>{escape(c.from_name)}</b> {escape(c.message)}</li>" for c in rows)
    return f'<ul class="comments">{items}</ul>'


def _facebook_post(request: Request, post_id: str) -> HTMLResponse:
    ctx = context(request)
    with ctx.store.session() as session:
        post = session.get(MetaPost, post_id)
        if post is None or not metrics.post_is_live(post, ctx.clock.now()):
            return _missing("Facebook")
        page = session.get(MetaPage, post.page_id)
        name = page.name if page else post.page_id
        parts = [f"<header>{escape(name)}</header>"]
        parts.append(_time(post.publish_at))
        if post.message:
            parts.append(f'<p class="text">{escape(post.message)}</p>')
        if post.link:
            parts.append(f'<p><a href="{escape(post.link)}">{escape(post.link)}</a></p>')
        for photo_id in post.photo_ids:
            photo = session.get(MetaPhoto, str(photo_id))
            if photo is not None:
                parts.append(f'<img src="{escape(photo.url)}" alt="">')
        if post.has_video:
            parts.append("<p>▶ Video</p>")
        parts.append(_comments(session, post.id))
        return _page(
            f"{name} | Facebook",
            f'<article data-post-id="{escape(post.id)}">{"".join(parts)}</article>',
        )


@facebook_router.get("/{page_id}/posts/{post_suffix}", include_in_schema=False)
def facebook_post(request: Request, page_id: str, post_suffix: str) -> HTMLResponse:
    return _facebook_post(request, f"{page_id}_{post_suffix}")


@facebook_router.get("/{page_id}/videos/{video_id}", include_in_schema=False)
def facebook_video(request: Request, page_id: str, video_id: str) -> HTMLResponse:
    return _facebook_post(request, f"{page_id}_{video_id}")


@facebook_router.get("/{object_id}", include_in_schema=False)
def facebook_object(request: Request, object_id: str) -> HTMLResponse:
    """``https://www.facebook.com/{page-id}_{post-id}`` opens the post, as on Facebook."""
    if "_" not in object_id:
        return _missing("Facebook")
    return _facebook_post(request, object_id)


def _instagram_media(request: Request, shortcode: str) -> HTMLResponse:
    ctx = context(request)
    with ctx.store.session() as session:
        media = session.scalars(
            select(MetaIgMedia).where(
                MetaIgMedia.shortcode == shortcode, MetaIgMedia.parent_id.is_(None)
            )
        ).first()
        if media is None or media.timestamp > ctx.clock.now():
            return _missing("Instagram")
        account = session.get(MetaIgAccount, media.ig_user_id)
        username = account.username if account else media.ig_user_id
        parts = [f"<header>{escape(username)}</header>"]
        parts.append(_time(media.timestamp))
        urls = [media.media_url]
        if media.children:
            urls = [
                child.media_url
                for child_id in media.children
                if (child := session.get(MetaIgMedia, str(child_id))) is not None
            ]
        for url in urls:
            if media.has_video:
                parts.append(f'<p>▶ <a href="{escape(url)}">Reel</a></p>')
            else:
                parts.append(f'<img src="{escape(url)}" alt="">')
        if media.caption:
            parts.append(f'<p class="text"><b>{escape(username)}</b> {escape(media.caption)}</p>')
        parts.append(_comments(session, media.id))
        return _page(
            f"{username} on Instagram",
            f'<article data-media-id="{escape(media.id)}">{"".join(parts)}</article>',
        )


@instagram_router.get("/p/{shortcode}/", include_in_schema=False)
@instagram_router.get("/reel/{shortcode}/", include_in_schema=False)
def instagram_post(request: Request, shortcode: str) -> HTMLResponse:
    return _instagram_media(request, shortcode)
