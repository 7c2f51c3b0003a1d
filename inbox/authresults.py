"""Who really sent a mail: SPF, DKIM and DMARC, with the field's libraries.

pyspf checks the client's address against the MAIL FROM domain, dkimpy verifies DKIM
signatures, authheaders finds the DMARC record of the header From domain (or of its
organisational domain, by the public suffix list). Alignment is checked here: authheaders'
own check reads a domain only up to its first hyphen (`billing@supplier-gmbh.de` ->
`supplier`), which would make DMARC `none` for a great many senders. All of them query DNS
through dnspython's default resolver, which `configure_resolver` points at
`INBOX_DNS_SERVERS` with a per-query timeout.

The libraries block, so `Authenticator` runs them in a small thread pool of its own (never
the event loop, never the pool that writes spool files) under one deadline per mail: a
DNS server that does not answer gives `temperror`, never a stalled session.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from functools import lru_cache
from importlib import resources
from pathlib import Path

import dkim
import dns.exception
import dns.rdatatype
import dns.resolver
import spf
from authheaders import dmarc_lookup
from publicsuffix2 import PublicSuffixList

log = logging.getLogger("inbox.authresults")

DNS_CACHE_ENTRIES = 10_000
HEADER_CHUNK = 16 * 1024  # read at a time while looking for the end of the header section
AUTH_THREADS = 16  # mails checked at once; each mostly waits on DNS
_DKIM_SIGNATURE = re.compile(rb"^dkim-signature:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class AuthResults:
    """RFC 8601 result words: pass, fail, softfail, neutral, none, temperror, permerror."""

    spf: str
    dkim: str
    dmarc: str
    header_from: str = ""  # domain of the From header, as DMARC read it
    header_from_address: str = ""  # the From address itself (its domain is what DMARC vouches for)
    dkim_domain: str = ""  # d= of the signature that was checked

    def as_dict(self) -> dict[str, str]:
        return {"spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc}

    def passes_dmarc_for(self, domain: str) -> bool:
        return self.dmarc == "pass" and self.header_from.lower() == domain.lower()


UNCHECKED = AuthResults(spf="temperror", dkim="temperror", dmarc="temperror")


def configure_resolver(servers: list[tuple[str, int]], timeout: float) -> None:
    """Point the libraries' DNS (dnspython's default resolver) at `servers`, or the system's."""
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [host for host, _ in servers]
        resolver.nameserver_ports = {host: port for host, port in servers}
    resolver.lifetime = timeout
    resolver.timeout = timeout
    # Answers kept for their TTL, "no such domain" too (as any MTA's caching resolver does):
    # a supplier's every mail asks the same few names, and without a cache a burst of mails
    # was a burst of queries, one dropped reply stalling its mail for the whole timeout.
    resolver.cache = dns.resolver.LRUCache(DNS_CACHE_ENTRIES)
    dns.resolver.default_resolver = resolver
    # pyspf 2.0.14 (its latest release) still calls dnspython's deprecated query().
    warnings.filterwarnings("ignore", "please use dns.resolver.resolve", DeprecationWarning)


def authenticate(raw: bytes, *, ip: str, helo: str, mail_from: str, timeout: float) -> AuthResults:
    """SPF, DKIM and DMARC for one mail. Blocking: call it from a thread."""
    spf_word, _explanation = spf.check2(ip, mail_from, helo, querytime=timeout)
    dkim_word, dkim_domain = _dkim(raw, timeout)
    address = _header_from_address(raw)
    header_from = _domain_of(address) if address is not None else None
    if header_from is None:
        dmarc_word, header_from = "permerror", ""  # no single From domain to judge
    elif not header_from:
        dmarc_word = "none"
    else:
        passed = {
            "spf": spf_word == "pass" and _domain_of(mail_from),
            "dkim": dkim_word == "pass" and dkim_domain.lower(),
        }
        dmarc_word = _dmarc(header_from, passed)
    return AuthResults(
        spf=spf_word,
        dkim=dkim_word,
        dmarc=dmarc_word,
        header_from=header_from,
        header_from_address=address or "",
        dkim_domain=dkim_domain,
    )


def _dmarc(from_domain: str, passed: dict[str, str | bool]) -> str:
    """The DMARC result for `from_domain`, given the domains that passed SPF and DKIM."""
    try:
        record = _dmarc_record(from_domain)
    except DnsUnavailable:
        return "temperror"
    except (dmarc_lookup.DMARCException, dns.exception.DNSException):
        return "permerror"
    if not record or not record.get("p"):
        return "none"
    modes = {"spf": record.get("aspf", "r"), "dkim": record.get("adkim", "r")}
    for method, domain in passed.items():
        if domain and _aligned(from_domain, str(domain), strict=modes[method].startswith("s")):
            return "pass"
    return "fail"


def _dmarc_record(from_domain: str) -> dict[str, str]:
    """The domain's DMARC record, else its organisational domain's (RFC 7489 6.6.3), as
    authheaders' receiver_record finds it; that one reads the whole public suffix list again
    for every mail (about 15 ms of CPU), this one reads it once."""
    record = dmarc_lookup.lookup_receiver_record(from_domain, dnsfunc=_txt_text)
    org_domain = _org_domain(from_domain)
    if record or org_domain == from_domain:
        return record
    return dmarc_lookup.lookup_receiver_record(org_domain, dnsfunc=_txt_text)


def _aligned(from_domain: str, other: str, *, strict: bool) -> bool:
    if strict:
        return from_domain == other
    return _org_domain(from_domain) == _org_domain(other)


@lru_cache(maxsize=4096)
def _org_domain(domain: str) -> str:
    return _suffix_list().get_public_suffix(domain)


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    """The public suffix list authheaders ships (the one its get_org_domain reads), parsed once."""
    shipped = resources.files("authheaders") / "public_suffix_list.txt"
    with resources.as_file(shipped) as path, path.open(encoding="utf-8") as lines:
        return PublicSuffixList(lines)


def _header_from_address(raw: bytes) -> str | None:
    """The From header's address; "" when there is none, None when there are several."""
    headers = BytesHeaderParser().parsebytes(_header_section(raw))  # the body is not needed
    addresses = {address.lower() for _, address in getaddresses(headers.get_all("From", [])) if address}
    if len(addresses) > 1:
        return None
    return addresses.pop() if addresses else ""


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".>").lower() if "@" in address else ""


def read_for_checks(path: Path) -> bytes:
    """What the checks need of the mail at `path`: its header section, or all of it when that
    carries a DKIM signature (its body hash covers the body). A 20 MB unsigned mail costs
    them a few KB of memory, not 20 MB (and 40 MB more for a parse of the whole mail)."""
    with path.open("rb") as file:
        read = bytearray()
        end = -1
        while end < 0:
            chunk = file.read(HEADER_CHUNK)
            if not chunk:
                return bytes(read)  # no body: the whole mail is its header section
            searched = max(0, len(read) - 3)  # the blank line may straddle two chunks
            read += chunk
            end = read.find(b"\r\n\r\n", searched)
        header = bytes(read[: end + 4])
        if not _DKIM_SIGNATURE.search(header):
            return header
        return bytes(read) + file.read()


def _header_section(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[: end + 4]


def _dkim(raw: bytes, timeout: float) -> tuple[str, str]:
    if not _DKIM_SIGNATURE.search(_header_section(raw)):
        return "none", ""
    checker = dkim.DKIM(raw, timeout=int(max(1, timeout)))
    outages: list[DnsUnavailable] = []

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            return _txt(name.decode("ascii", "replace"))
        except DnsUnavailable as err:
            outages.append(err)  # dkimpy logs the error and reports a plain failure
            raise dkim.DnsTimeoutError(str(err)) from err

    try:
        verified = checker.verify(dnsfunc=lookup)
    except dkim.DnsTimeoutError:
        return "temperror", _signing_domain(checker)
    except dkim.ValidationError:  # body hash mismatch, bad signature: a signature that fails
        return "fail", _signing_domain(checker)
    except dkim.DKIMException:  # no key, unreadable key or signature
        return "permerror", _signing_domain(checker)
    if not verified and outages:
        return "temperror", _signing_domain(checker)
    return ("pass" if verified else "fail"), _signing_domain(checker)


class DnsUnavailable(Exception):
    """No DNS server answered: a temporary error, not a missing record."""


def _txt(name: str) -> bytes | None:
    """The first TXT record of `name`, None when there is none. The libraries' own lookups
    take "no server answered" for "no record", which would turn a DNS outage into DKIM and
    DMARC failures; here it raises DnsUnavailable."""
    try:
        answer = dns.resolver.resolve(name, "TXT", raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return None
    except (dns.resolver.NoNameservers, dns.exception.Timeout) as err:
        raise DnsUnavailable(str(err)) from err
    for rrset in answer.response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return b"".join(next(iter(rrset)).strings)
    return None


def _txt_text(name: str) -> str | None:
    record = _txt(name)
    return record.decode("utf-8", "replace") if record is not None else None


def _signing_domain(checker: dkim.DKIM) -> str:
    return checker.signature_fields.get(b"d", b"").decode("ascii", "replace")


class Authenticator:
    """`await authenticator(path, ip=, helo=, mail_from=)` -> AuthResults of the mail in the
    file at `path`, within its deadline."""

    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout
        self._threads = ThreadPoolExecutor(max_workers=AUTH_THREADS, thread_name_prefix="auth")

    async def __call__(self, path: Path, *, ip: str, helo: str, mail_from: str) -> AuthResults:
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(
            self._threads,
            lambda: authenticate(
                read_for_checks(path), ip=ip, helo=helo, mail_from=mail_from, timeout=self.timeout
            ),
        )
        try:
            return await asyncio.wait_for(work, self.timeout * 3)  # SPF, DKIM, DMARC in turn
        except TimeoutError:
            log.warning("authentication checks timed out for a mail from %r", mail_from)
            return UNCHECKED
        except Exception:  # a library's bug must not cost the mail: record that nothing was checked
            log.exception("authentication checks failed for a mail from %r", mail_from)
            return UNCHECKED

    async def prepare(self) -> None:
        """Parse the public suffix list before the first mail: a quarter of a second of CPU
        that would otherwise hold up the first mails' 250s (and the loop, through the GIL)."""
        await asyncio.get_running_loop().run_in_executor(self._threads, _suffix_list)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
