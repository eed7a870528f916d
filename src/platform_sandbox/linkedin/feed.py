"""www.linkedin.com/feed/update/{urn}/: the public page of one post, as the address LinkedIn
gives a post (and the product links to) answers. A small page: the author, the time and the
text, and the images' URNs."""

from __future__ import annotations

import re
from datetime import UTC
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from platform_sandbox.linkedin import common
from platform_sandbox.linkedin.models import LiMember, LiOrganization, LiPost
from platform_sandbox.linkedin.posts import media_ids_of
from platform_sandbox.platform import context

router = APIRouter()

# The commentary is "little" text: ``{hashtag|\\#|word}`` templates and backslash escapes.
_LITTLE = re.compile(r"\{hashtag\|\\#\|((?:[^\\{}|]|\\.)*)\}|\\(.)", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def plain_text(commentary: str) -> str:
    """What a reader sees of a little-text commentary."""

    def shown(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return "#" + _ESCAPE.sub(r"\1", match.group(1))
        return match.group(2)

    return _LITTLE.sub(shown, commentary)


_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


@router.get("/feed/update/{urn}/")
@router.get("/feed/update/{urn}")
def post_page(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        post = session.get(LiPost, urn)
        if post is None or post.deleted:
            return _page(
                "Post not found | LinkedIn",
                "<h1>This post cannot be displayed</h1>"
                "<p>It may have been deleted, or the link is wrong.</p>",
                status=404,
            )
        author = _author_name(session, post.author)
        published = post.published_at.astimezone(UTC)
        text = escape(plain_text(post.commentary))
        images = "".join(
            f'<li data-image="{escape(image)}">{escape(image)}</li>'
            for image in media_ids_of(post.content or {})
        )
        body = (
            f'<article data-urn="{escape(post.urn)}">'
            f'<h1 class="author" data-author="{escape(post.author)}">{escape(author)}</h1>'
            f'<time datetime="{published.isoformat()}">'
            f"{published.strftime('%d %b %Y, %H:%M UTC')}</time>"
            f'<p class="commentary" style="white-space: pre-wrap">{text}</p>'
            + (f'<ul class="media">{images}</ul>' if images else "")
            + "</article>"
        )
        return _page(f"{author} on LinkedIn", body)


def _author_name(session: Session, author: str) -> str:
    if author.startswith("urn:li:person:"):
        member = session.get(LiMember, author.rsplit(":", 1)[1])
        return member.name if member is not None else author
    org_id = common.organization_id_of(author)
    if org_id is not None:
        org = session.get(LiOrganization, org_id)
        return org.name if org is not None else author
    return author
