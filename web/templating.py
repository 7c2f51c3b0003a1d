"""Jinja2 environment (autoescape on) and the per-request context every template gets."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.amounts import signed_total
from web.confidence import unsure_fields
from web.i18n import LANGUAGES, Formats, request_language
from web.labels import labeller, reasoner

TEMPLATES = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["filesize"] = filesize
    return env


def render(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    env: Environment = request.app.state.templates
    user = getattr(context.get("caller"), "user", None)
    lang = request_language(request, user.language if user else "")
    catalogue = request.app.state.catalogues[lang]
    html = env.get_template(template).render(
        request=request,
        lang=lang,
        languages=LANGUAGES,
        fmt=Formats(lang, user.time_zone if user else "UTC"),
        _=catalogue.gettext,
        gettext=catalogue.gettext,
        ngettext=catalogue.ngettext,
        here=_here(request),
        label=labeller(catalogue.gettext),
        reason=reasoner(catalogue.gettext),
        signed_total=signed_total,
        unsure_fields=unsure_fields,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _here(request: Request) -> str:
    """This page's path and query, for links that come back here (language switch)."""
    query = urlencode(list(request.query_params.multi_items()))
    return request.url.path + (f"?{query}" if query else "")


def filesize(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)
