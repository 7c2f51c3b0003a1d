"""The words pages show for the vocabulary's values, marked for translation, so no internal
name (`einvoice_xml`, `too_large`) reaches a page. Templates call `label(group, value)`."""

from __future__ import annotations

from collections.abc import Callable

from web.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "kind": {"pdf": N_("PDF"), "einvoice_xml": N_("E-invoice (XML)"), "image": N_("Image")},
    "field": {
        "number": N_("Invoice no."),
        "issue_date": N_("Invoice date"),
        "due_date": N_("Due date"),
        "total": N_("Total"),
        "currency": N_("Currency"),
        "seller": N_("Supplier"),
        "type": N_("Type"),
        "tags": N_("Tags"),
        "note": N_("Note"),
    },
    "type": {"invoice": N_("Invoice"), "credit_note": N_("Credit note")},
    "decision": {
        "document": N_("document"),
        "body": N_("mail text"),
        "container": N_("container"),
        "ignored_inline": N_("inline image, ignored"),
        "duplicate": N_("duplicate"),
        "unsupported": N_("not supported"),
        "too_large": N_("too large"),
        "corrupt": N_("damaged"),
    },
    "status": {
        "received": N_("waiting"),
        "processed": N_("processed"),
        "no_documents": N_("no documents"),
        "failed": N_("failed"),
    },
    "role": {"owner": N_("Owner"), "member": N_("Member"), "accountant": N_("Accountant (read-only)")},
}


def labeller(gettext: Callable[[str], str]) -> Callable[[str, object], str]:
    """`label(group, value)` in one language; a value without a label is shown as given."""

    def label(group: str, value: object) -> str:
        text = LABELS[group].get(str(value))
        return gettext(text) if text else str(value)

    return label
