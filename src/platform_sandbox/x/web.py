"""X's post pages on the web: ``x.com/i/web/status/<id>`` (the address clients build from an id
alone) and ``x.com/<username>/status/<id>``, so a link to a post published on the sandbox opens
a page showing it: text, author, time, media, the post it replies to and the author's replies
under it (a thread reads top to bottom), with the audience's numbers as of the sandbox clock.

Plain HTML without scripts or external assets, like the authorization pages.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox.platform import SandboxContext, context
from platform_sandbox.x.common import iso, metrics
from platform_sandbox.x.models import XTweet, XUser

router = APIRouter()

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f5f8fa;margin:0;padding:2rem;color:#0f1419}
main{max-width:36rem;margin:auto;background:#fff;border-radius:1rem;padding:1.5rem 2rem;
box-shadow:0 1px 4px #0002}
article{border-bottom:1px solid #eff3f4;padding:1rem 0}article:last-of-type{border:0}
.author{font-weight:700}.handle,.meta,.note{color:#536471;font-size:.9rem}
.text{white-space:pre-wrap;font-size:1.15rem;margin:.6rem 0}
.numbers{display:flex;gap:1.2rem;color:#536471;font-size:.9rem}
.main .text{font-size:1.35rem}
"""


def _post_html(
    ctx: SandboxContext, tweet: XTweet, author: XUser, base: str, *, main: bool = False
) -> str:
    when = tweet.created_at.strftime("%H:%M · %b %d, %Y") + " UTC"
    media = len(tweet.media_keys or [])
    media_line = (
        f'<p class="meta" data-media="{media}">'
        f"{media} {'video' if tweet.has_video else 'photo'}{'s' if media > 1 else ''}</p>"
        if media
        else ""
    )
    numbers = ""
    if main:
        m = metrics(ctx, tweet, author)
        numbers = (
            '<p class="numbers">'
            f"<span>{m.comments} replies</span><span>{m.shares} reposts</span>"
            f"<span>{m.likes} likes</span><span>{m.impressions} views</span></p>"
        )
    link = f"{base}/{escape(author.username)}/status/{tweet.id}"
    return (
        f'<article class="{"main" if main else "post"}" data-id="{tweet.id}">'
        f'<div><span class="author">{escape(author.name)}</span> '
        f'<span class="handle">@{escape(author.username)}</span></div>'
        f'<p class="text">{escape(tweet.text)}</p>{media_line}'
        f'<p class="meta"><a href="{link}"><time datetime="{iso(tweet.created_at)}">'
        f"{when}</time></a></p>{numbers}</article>"
    )


def _thread_below(session: Session, tweet: XTweet) -> list[XTweet]:
    """The author's own replies chained under ``tweet`` (the rest of a thread)."""
    chain: list[XTweet] = []
    current = tweet
    while True:
        following = session.scalars(
            select(XTweet)
            .where(
                XTweet.in_reply_to_tweet_id == current.id,
                XTweet.author_id == tweet.author_id,
            )
            .order_by(XTweet.created_at)
        ).first()
        if following is None:
            return chain
        chain.append(following)
        current = following


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_STYLE}</style></head>
<body><main>{body}
<p class="note">Platform sandbox: simulated accounts, no real X data.</p>
</main></body></html>""",
        status_code=status,
    )


def _show(request: Request, tweet_id: str, username: str | None) -> HTMLResponse:
    ctx = context(request)
    # The host prefix this page was asked under (``/x.com`` or ``/twitter.com``).
    base = str(request.url.path).split("/i/web/status/", 1)[0]
    if username is not None:
        base = str(request.url.path).rsplit(f"/{username}/status/", 1)[0]
    with ctx.store.session() as session:
        tweet = session.get(XTweet, tweet_id) if tweet_id.isdigit() else None
        author = session.get(XUser, tweet.author_id) if tweet else None
        if (
            tweet is None
            or author is None
            or tweet.created_at > ctx.clock.now()
            or (username is not None and username.lower() != author.username.lower())
        ):
            return _page(
                "Page not found / X",
                "<h1>Hmm...this page doesn't exist.</h1><p>Try searching for something else.</p>",
                status=404,
            )
        parts: list[str] = []
        parent = session.get(XTweet, tweet.in_reply_to_tweet_id or "")
        parent_author = session.get(XUser, parent.author_id) if parent else None
        if parent is not None and parent_author is not None:
            parts.append(_post_html(ctx, parent, parent_author, base))
        parts.append(_post_html(ctx, tweet, author, base, main=True))
        parts.extend(_post_html(ctx, t, author, base) for t in _thread_below(session, tweet))
        title = f'{author.name} on X: "{tweet.text[:60]}"'
        return _page(title, "".join(parts))


@router.get("/i/web/status/{tweet_id}", response_class=HTMLResponse)
def status_by_id(request: Request, tweet_id: str) -> HTMLResponse:
    return _show(request, tweet_id, None)


@router.get("/{username}/status/{tweet_id}", response_class=HTMLResponse)
def status_by_username(request: Request, username: str, tweet_id: str) -> HTMLResponse:
    return _show(request, tweet_id, username)
