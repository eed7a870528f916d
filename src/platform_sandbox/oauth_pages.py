"""Plain HTML for sandbox authorization pages: usable by a person and by Playwright.

No JavaScript and no external assets, so the page works offline and a test can submit the form
with any HTTP client: the form posts back to the page's own URL with every OAuth parameter in
hidden fields, the chosen account in ``account`` and the button pressed in ``action``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f5f8fa;margin:0;padding:2rem;color:#0f1419}
main{max-width:32rem;margin:auto;background:#fff;border-radius:1rem;padding:2rem;
box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem}ul{padding-left:1.2rem}label{display:block;padding:.4rem 0}
.buttons{display:flex;gap:1rem;margin-top:1.5rem}
button{flex:1;padding:.7rem;border-radius:2rem;border:1px solid #cfd9de;font-size:1rem;
cursor:pointer}
button[value=authorize]{background:#0f1419;color:#fff}
.note{color:#536471;font-size:.85rem}
"""


def authorize_page(
    *,
    platform_title: str,
    app_name: str,
    action_url: str,
    accounts: Iterable[tuple[str, str]],
    scopes: Iterable[tuple[str, str]],
    hidden: Mapping[str, str],
) -> str:
    """``accounts``: (value, label); ``scopes``: (scope, description)."""
    account_items = []
    for index, (value, label) in enumerate(accounts):
        checked = " checked" if index == 0 else ""
        account_items.append(
            f'<label><input type="radio" name="account" value="{escape(value)}"{checked}> '
            f"{escape(label)}</label>"
        )
    scope_items = "".join(
        f"<li><code>{escape(scope)}</code> — {escape(text)}</li>" for scope, text in scopes
    )
    hidden_inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Authorize {escape(app_name)} — {escape(platform_title)} (sandbox)</title>
<style>{_STYLE}</style></head>
<body><main>
<h1>{escape(app_name)} wants to access your {escape(platform_title)} account</h1>
<form method="post" action="{escape(action_url)}">
{hidden_inputs}
<fieldset><legend>Sign in as</legend>
{"".join(account_items)}
</fieldset>
<p>This will allow the app to:</p>
<ul class="scopes">{scope_items}</ul>
<div class="buttons">
<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="authorize">Authorize app</button>
</div>
</form>
<p class="note">Platform sandbox: simulated accounts, no real {escape(platform_title)} data.</p>
</main></body></html>"""


def error_page(*, title: str, message: str, reason: str) -> str:
    """An error page; ``reason`` is machine-readable for tests (``data-error``)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_STYLE}</style></head>
<body><main data-error="{escape(reason)}">
<h1>{escape(title)}</h1>
<p>{escape(message, quote=False)}</p>
</main></body></html>"""
