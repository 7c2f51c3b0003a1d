"""Login limits slow the guesser, not the owner: real concurrent HTTP requests against a
running `inbox serve`, from several loopback addresses (127.0.0.x) or through a proxy."""

from __future__ import annotations

import threading

import httpx

from tests.backends import Backend
from tests.service import Account, Service, wait_for

GUESSES = 24
LIMIT = 10  # web/loginlimits.py: failures one address may make on one account


def browser(service: Service, address: str = "127.0.0.1", **headers: str) -> httpx.Client:
    """A client from a loopback address of its own, holding the login form's CSRF cookie."""
    client = httpx.Client(
        base_url=service.web_url,
        timeout=60,
        transport=httpx.HTTPTransport(local_address=address),
        headers=headers,
    )
    service._open.append(client)
    client.get("/login")
    return client


def attempt(client: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    data = {"email": email, "password": password, "csrf_token": client.cookies.get("inbox_login_csrf")}
    return client.post("/login", data=data, headers=headers)


def test_concurrent_wrong_passwords_get_no_more_than_the_limit_through(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    clients = [browser(service) for _ in range(GUESSES)]
    start = threading.Barrier(GUESSES)
    answers: list[httpx.Response] = []

    def guess(client: httpx.Client) -> None:
        start.wait()
        answers.append(attempt(client, account.email, "not the password"))

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(r.status_code for r in answers)
    assert len(codes) == GUESSES
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= LIMIT, codes  # before: all 24 were checked
    refused = [r for r in answers if r.status_code == 429]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert "Too many attempts" in refused[0].text
    # A crowd may let fewer through (each counts all the others in flight), never more; the
    # refused ones were taken back, so one at a time the rest of the 10 go.
    checked = codes.count(401)
    for _ in range(LIMIT + 1):
        later = attempt(clients[0], account.email, "wrong", accept="application/json")
        if later.status_code != 401:
            break
        checked += 1
    assert checked == LIMIT
    assert later.status_code == 429
    assert later.json()["error"] == "too_many_attempts"
    assert later.json()["retry_after"] == int(later.headers["Retry-After"]) > 60


def test_an_attackers_guesses_do_not_lock_the_owner_out(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    # The owner's laptop and the attacker share an address (one office, one NAT).
    laptop = browser(service, "127.0.0.2")
    assert attempt(laptop, account.email, account.password).status_code == 303
    laptop.cookies.delete("inbox_session")  # the session ends; the browser stays known
    attacker = browser(service, "127.0.0.2")

    guesses = [attempt(attacker, account.email, f"guess {n}").status_code for n in range(LIMIT + 1)]
    on_laptop = attempt(browser_with(laptop), account.email, account.password)
    elsewhere = browser(service, "127.0.0.4")
    first_try = attempt(elsewhere, account.email, account.password)

    assert guesses == [401] * LIMIT + [429]
    assert on_laptop.status_code == 303  # a known browser is never held back by others' guesses
    # A new place waits at most a moment (a delay, not a lock; gone already on a slow machine).
    assert first_try.status_code == 303 or int(first_try.headers["Retry-After"]) <= 2
    if first_try.status_code == 429:
        wait_for(lambda: attempt(elsewhere, account.email, account.password).status_code == 303, timeout=10)
    assert attempt(attacker, account.email, account.password).status_code == 429  # the guesser stays out
    other_user = service.create_account("Other", "someone@other.example")
    assert attempt(browser(service, "127.0.0.5"), other_user.email, other_user.password).status_code == 303


def browser_with(client: httpx.Client) -> httpx.Client:
    """The same browser, with a fresh login form."""
    client.get("/login")
    return client


def test_forwarded_for_counts_only_from_a_trusted_proxy(backend: Backend):
    untrusted = Service(data_dir=backend.data_dir, env=dict(backend.env)).start()
    try:
        account = untrusted.create_account("Acme", "owner@acme.example")
        owner, first = _owner_after_guesses(untrusted, account)
        assert first.status_code == 429  # the header is anyone's to write: all one address here
        assert int(first.headers["Retry-After"]) > 60
    finally:
        untrusted.stop()
    trusting = {**backend.env, "INBOX_TRUSTED_PROXIES": "10.9.0.0/16, 127.0.0.1"}
    proxied = Service(data_dir=backend.data_dir, env=trusting).start()
    try:
        account = proxied.create_account("Beta", "owner@beta.example")
        owner, first = _owner_after_guesses(proxied, account)
        assert first.status_code in (303, 429)  # at most the account's short delay
        assert first.status_code == 303 or int(first.headers["Retry-After"]) <= 2
        if first.status_code == 429:
            wait_for(lambda: attempt(owner, account.email, account.password).status_code == 303, timeout=10)
    finally:
        proxied.stop()


def _owner_after_guesses(service: Service, account: Account) -> tuple[httpx.Client, httpx.Response]:
    """An attacker at 203.0.113.5 guesses (its spoofed entries come first, the proxy appends
    the address it saw); then the owner, at 198.51.100.7, tries once."""
    attacker = browser(service, **{"X-Forwarded-For": "203.0.113.5"})
    for n in range(LIMIT):
        assert attempt(attacker, account.email, f"guess {n}").status_code == 401
    spoofing = attempt(attacker, account.email, "guess", **{"X-Forwarded-For": "192.0.2.1, 203.0.113.5"})
    assert spoofing.status_code == 429
    owner = browser(service, **{"X-Forwarded-For": "198.51.100.7, 10.9.0.1"})
    return owner, attempt(owner, account.email, account.password)
