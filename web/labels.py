"""The words pages show for the vocabulary's values, marked for translation, so no internal
name (`einvoice_xml`, `too_large`) reaches a page. Templates call `label(group, value)`."""

from __future__ import annotations

import re
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


# Reasons the pipeline records in English, as pages show them; a reason not listed here (an
# error message from a parser, say) is shown as recorded.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"(?P<n>\d+) document\(s\) stored", N_("%(n)s document(s) stored")),
        (
            r"(?P<n>\d+) document\(s\) already stored before \(duplicates\)",
            N_("%(n)s document(s) already stored before (duplicates)"),
        ),
        (r"no invoice document found in this mail", N_("no invoice document found in this mail")),
        (r"same file as document (?P<id>\w+)", N_("same file as document %(id)s")),
        (r"multipart", N_("multipart")),
        (r"HTML body", N_("HTML body")),
        (r"text body", N_("text body")),
        (r"folder in the archive", N_("folder in the archive")),
        (r"encrypted archive entry", N_("encrypted archive entry")),
        (r"archive size budget exhausted", N_("archive size budget exhausted")),
        (r"office document", N_("office document")),
        (r"entry larger than its declared size", N_("entry larger than its declared size")),
    )
)


def reasoner(gettext: Callable[[str], str]) -> Callable[[str], str]:
    """`reason(text)`: a recorded reason in one language."""

    def reason(text: str) -> str:
        for pattern, template in REASONS:
            match = pattern.fullmatch(text)
            if match:
                return gettext(template) % match.groupdict() if match.groupdict() else gettext(template)
        return text

    return reason


def labeller(gettext: Callable[[str], str]) -> Callable[[str, object], str]:
    """`label(group, value)` in one language; a value without a label is shown as given."""

    def label(group: str, value: object) -> str:
        text = LABELS[group].get(str(value))
        return gettext(text) if text else str(value)

    return label
