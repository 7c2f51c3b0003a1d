"""The few error answers pages share; their texts are translated when rendered."""

from __future__ import annotations

from fastapi import HTTPException

from web.i18n import N_


def not_found() -> HTTPException:
    # One answer for "does not exist" and "belongs to another account": nothing to learn from it.
    return HTTPException(status_code=404, detail=N_("There is nothing at this address."))


def bad_link() -> HTTPException:
    return HTTPException(status_code=400, detail=N_("This page link is not valid."))


def bad_from_date() -> HTTPException:
    return HTTPException(status_code=400, detail=N_("The “from” date is not a date (YYYY-MM-DD)."))


def bad_to_date() -> HTTPException:
    return HTTPException(status_code=400, detail=N_("The “to” date is not a date (YYYY-MM-DD)."))
