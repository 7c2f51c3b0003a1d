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
        "too_slow": N_("too slow"),
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
        (r"not read", N_("not read")),
        (r"not read: the mail's time budget was used up", N_("not read: the mail's time budget was used up")),
        (r"size budget exhausted", N_("size budget exhausted")),
        (r"encrypted with a password", N_("encrypted with a password")),
        (r"image attached as a file", N_("image attached as a file")),
        (r"no page could be rendered", N_("no page could be rendered")),
        (
            r"not a PDF: nothing to read as text or as a scan",
            N_("not a PDF: nothing to read as text or as a scan"),
        ),
        (
            r"archive nested deeper than one level is not opened",
            N_("archive nested deeper than one level is not opened"),
        ),
        (
            r"XML, but not well-formed or not an e-invoice syntax \(UBL, CII, ZUGFeRD 1\)",
            N_("XML, but not well-formed or not an e-invoice syntax (UBL, CII, ZUGFeRD 1)"),
        ),
        (
            r"extraction process died \(memory bound or crash\)",
            N_("extraction process died (memory bound or crash)"),
        ),
        (
            r"reading it needed more memory than extraction is allowed",
            N_("reading it needed more memory than extraction is allowed"),
        ),
        (
            r"declared or named as PDF, but the content is not a PDF \(detected (?P<detected>.+)\)",
            N_("declared or named as PDF, but the content is not a PDF (detected %(detected)s)"),
        ),
        (
            r"unsupported type (?P<type>\S+) \(declared (?P<declared>.+)\), (?P<size>\d+) bytes",
            N_("unsupported type %(type)s (declared %(declared)s), %(size)s bytes"),
        ),
        (
            r"forwarded message nested deeper than (?P<n>\d+) levels is not opened",
            N_("forwarded message nested deeper than %(n)s levels is not opened"),
        ),
        (r"forwarded message: (?P<note>.*)", N_("forwarded message: %(note)s")),
        (
            r"(?P<n>\d+) bytes uncompressed, limit (?P<limit>\d+)",
            N_("%(n)s bytes uncompressed, limit %(limit)s"),
        ),
        (r"(?P<n>\d+) attachments, limit (?P<limit>\d+)", N_("%(n)s attachments, limit %(limit)s")),
        (r"(?P<n>\d+) entries, limit (?P<limit>\d+)", N_("%(n)s entries, limit %(limit)s")),
        (r"compression ratio (?P<ratio>\d+) > (?P<limit>\d+)", N_("compression ratio %(ratio)s > %(limit)s")),
        (r"could not be read: (?P<error>.+)", N_("could not be read: %(error)s")),
        (
            r"reading it took longer than (?P<seconds>[\d.]+) s",
            N_("reading it took longer than %(seconds)s s"),
        ),
        (
            r"(?P<n>\d+) part\(s\) could not be read: (?P<parts>.+)",
            N_("%(n)s part(s) could not be read: %(parts)s"),
        ),
        (
            r"gave up after (?P<n>\d+) crashes of the worker processing it",
            N_("gave up after %(n)s crashes of the worker processing it"),
        ),
        # Reasons that wrap others (groups named reason…): the inner ones are translated too.
        (
            r"(?P<reason_kept>[^;]+); warning: (?P<reason_lost>.+)",
            N_("%(reason_kept)s; warning: %(reason_lost)s"),
        ),
        (r"will try again: (?P<reason>.+)", N_("will try again: %(reason)s")),
        (
            r"gave up after (?P<n>\d+) days of retries: (?P<reason>.+)",
            N_("gave up after %(n)s days of retries: %(reason)s"),
        ),
    )
)


def reasoner(gettext: Callable[[str], str]) -> Callable[[str], str]:
    """`reason(text)`: a recorded reason in one language."""

    def reason(text: str) -> str:
        for pattern, template in REASONS:
            match = pattern.fullmatch(text)
            if match:
                values = {name: _translated(name, value) for name, value in match.groupdict().items()}
                return gettext(template) % values if values else gettext(template)
        return text

    def _translated(name: str, value: str) -> str:
        if name.startswith("reason"):
            return reason(value)
        if name == "parts":  # "name (decision), …": the decisions are words of ours
            return _PART_DECISION.sub(lambda m: f" ({gettext(LABELS['decision'][m[1]])})", value)
        return value

    return reason


# A lost part's decision at the end of its description, as inbox.sandbox writes it.
_PART_DECISION = re.compile(r" \((" + "|".join(LABELS["decision"]) + r")\)(?=, |$)")


def labeller(gettext: Callable[[str], str]) -> Callable[[str, object], str]:
    """`label(group, value)` in one language; a value without a label is shown as given."""

    def label(group: str, value: object) -> str:
        text = LABELS[group].get(str(value))
        return gettext(text) if text else str(value)

    return label
