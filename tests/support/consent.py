"""Walk a sandbox authorization page with a plain HTTP client, as a person would click it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx2


@dataclass
class ConsentForm:
    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    checked: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: ConsentForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None:
            self.form = ConsentForm(action=a.get("action", ""))
        if self.form is None:
            return
        if tag == "input":
            kind, name, value = a.get("type", "text"), a.get("name", ""), a.get("value", "")
            if kind == "hidden":
                self.form.hidden[name] = value
            elif kind == "radio":
                self.form.radios.setdefault(name, []).append(value)
                if "checked" in a:
                    self.form.checked.setdefault(name, []).append(value)
            elif kind == "checkbox":
                self.form.checkboxes.setdefault(name, []).append(value)
                if "checked" in a:
                    self.form.checked.setdefault(name, []).append(value)
        elif tag == "button" and a.get("name"):
            self.form.buttons.append((a["name"], a.get("value", "")))


def read_form(html: str) -> ConsentForm:
    parser = _Parser()
    parser.feed(html)
    if parser.form is None:
        raise AssertionError(f"no form on the authorization page: {html[:300]}")
    return parser.form


def _submit(
    http: httpx2.Client,
    page: httpx2.Response,
    action: str,
    choose: dict[str, str | list[str]] | None,
) -> httpx2.Response:
    form = read_form(page.text)
    data: list[tuple[str, str]] = list(form.hidden.items())
    selections: dict[str, list[str]] = {k: list(v) for k, v in form.checked.items()}
    for name, values in form.radios.items():
        selections.setdefault(name, values[:1])
    for name, value in (choose or {}).items():
        if name in form.radios or name in form.checkboxes:
            selections[name] = value if isinstance(value, list) else [value]
    for name, values in selections.items():
        data.extend((name, v) for v in values)
    # Platforms label consent differently: X "authorize", LinkedIn "allow", Facebook "continue".
    synonyms = ["authorize", "allow", "continue"]
    wanted = [action.lower()] + (synonyms if action.lower() in synonyms else [])
    button = next(((n, v) for want in wanted for n, v in form.buttons if v.lower() == want), None)
    if button is None:
        raise AssertionError(f"no {action!r} button; buttons: {form.buttons}")
    data.append(button)
    return http.post(
        urljoin(str(page.url), form.action or str(page.url)),
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def consent(
    url: str,
    *,
    action: str = "authorize",
    choose: dict[str, str | list[str]] | None = None,
    timeout: float = 10.0,
) -> str:
    """Open the authorization page at ``url``, press ``action`` (authorize, allow, continue,
    cancel…) with the default or ``choose``n selections, and return the redirect location.

    Multi-step dialogs (Facebook Login: pick the person, then the Pages) are walked step by
    step: a step that answers with another form is submitted again the same way."""
    with httpx2.Client(follow_redirects=False, timeout=timeout) as http:
        page = http.get(url)
        assert page.status_code == 200, f"{page.status_code}: {page.text[:300]}"
        for _ in range(4):
            response = _submit(http, page, action, choose)
            if response.status_code in (302, 303):
                return response.headers["location"]
            assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
            page = response
        raise AssertionError("the authorization dialog never redirected back")


def with_scopes(url: str, *, drop: tuple[str, ...]) -> str:
    """The authorization URL asking for fewer scopes: what a platform grants when the person
    declines permissions or the app isn't approved for a product. Neither sandbox dialog lets
    a person untick permissions (LinkedIn's and Facebook's real ones mostly don't either)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    separator = "," if "," in query["scope"][0] else " "
    kept = [s for s in query["scope"][0].replace(",", " ").split() if s not in drop]
    query["scope"] = [separator.join(kept)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
