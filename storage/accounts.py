"""Accounts, their users, their inbox addresses and web sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from storage.errors import Ambiguous, Conflict, NotFound
from storage.models import Account, KnownDevice, PasswordReset, User, WebSession, utcnow
from storage.read_models import UserRead, user_read
from vocabulary import Role

# Lower-case letters and digits without look-alikes (0/o, 1/l/i): 31 symbols.
ADDRESS_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ADDRESS_GROUPS = 3
ADDRESS_GROUP_LENGTH = 5  # 15 symbols: log2(31**15) ≈ 74 bits
SESSION_LIFETIME = timedelta(days=14)

_hasher = PasswordHasher()


def new_inbox_local() -> str:
    groups = (
        "".join(secrets.choice(ADDRESS_ALPHABET) for _ in range(ADDRESS_GROUP_LENGTH))
        for _ in range(ADDRESS_GROUPS)
    )
    return "-".join(groups)


def create_account(*, session: Session, name: str, email: str, password: str) -> Account:
    account = Account(name=name, inbox_local=new_inbox_local())
    session.add(account)
    session.flush()
    add_user(session=session, account_id=account.id, email=email, password=password)
    return account


def add_user(
    *, session: Session, account_id: str, email: str, password: str, role: Role = Role.OWNER
) -> User:
    user = User(
        account_id=account_id,
        email=normalise_email(email),
        password_hash=_hasher.hash(password),
        role=Role(role).value,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as err:
        raise Conflict(f"a user with e-mail {user.email} already exists") from err
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def list_accounts(*, session: Session) -> list[tuple[Account, list[User]]]:
    accounts = session.exec(select(Account).order_by(col(Account.created_at))).all()
    users = session.exec(select(User).order_by(col(User.created_at))).all()
    by_account: dict[str, list[User]] = {}
    for user in users:
        by_account.setdefault(user.account_id, []).append(user)
    return [(account, by_account.get(account.id, [])) for account in accounts]


def get_account(*, session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account")
    return account


def find_account(*, session: Session, key: str) -> Account:
    """An account by id, name or one of its users' e-mails (for the command line). A name two
    accounts share is refused, naming their ids, rather than picking one of them."""
    account = session.get(Account, key)
    if account is None:
        named = list(session.exec(select(Account).where(Account.name == key).limit(10)))
        if len(named) > 1:
            ids = ", ".join(a.id for a in named)
            raise Ambiguous(f"{len(named)} accounts are named {key!r} ({ids}): give the account id instead")
        account = named[0] if named else None
    if account is None:
        user = session.exec(select(User).where(User.email == normalise_email(key))).first()
        account = session.get(Account, user.account_id) if user else None
    if account is None:
        raise NotFound(f"no account with id, name or user e-mail {key!r}")
    return account


def accounts_for_locals(*, session: Session, locals_: list[str]) -> dict[str, Account]:
    """Active accounts by inbox local part, for the given (lower-case) local parts."""
    rows = session.exec(
        select(Account).where(col(Account.inbox_local).in_(locals_), col(Account.active).is_(True))
    ).all()
    return {account.inbox_local: account for account in rows}


def regenerate_address(*, session: Session, account_id: str) -> Account:
    account = get_account(session=session, account_id=account_id)
    account.inbox_local = new_inbox_local()
    session.add(account)
    return account


def set_allowed_senders(*, session: Session, account_id: str, senders: list[str]) -> Account:
    account = get_account(session=session, account_id=account_id)
    account.allowed_senders = "\n".join(s.strip().lower() for s in senders if s.strip())
    session.add(account)
    return account


def set_refuse_dmarc_failures(*, session: Session, account_id: str, refuse: bool) -> Account:
    account = get_account(session=session, account_id=account_id)
    account.refuse_dmarc_failures = refuse
    session.add(account)
    return account


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        _hasher.hash(password)  # same work as a real check: no timing hint that the user is unknown
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def set_password(*, session: Session, user_id: str, password: str) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    user.password_hash = _hasher.hash(password)
    session.add(user)
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))


def set_password_by_email(*, session: Session, email: str, password: str) -> str:
    """The command line's reset: sets the password of the user with this e-mail, ending their
    sessions; returns the user's id."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound("user")
    set_password(session=session, user_id=user.id, password=password)
    return user.id


def start_session(*, session: Session, user: User) -> tuple[str, WebSession]:
    """Returns the cookie value (only its hash is stored) and the session row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        account_id=user.account_id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + SESSION_LIFETIME,
    )
    session.add(row)
    return token, row


def resume_session(*, session: Session, token: str) -> WebSession | None:
    row = session.get(WebSession, _token_hash(token))
    if row is None or row.expires_at <= utcnow():
        return None
    account = session.get(Account, row.account_id)
    return row if account is not None and account.active else None


def end_session(*, session: Session, token: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.token_hash) == _token_hash(token)))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def users_of_account(*, session: Session, account_id: str) -> list[UserRead]:
    rows = session.exec(select(User).where(User.account_id == account_id).order_by(col(User.created_at)))
    return [user_read(row) for row in rows]


def start_session_for(*, session: Session, user_id: str) -> str:
    """A new session for a user known by id (after a password change); returns its cookie token."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    token, _ = start_session(session=session, user=user)
    return token


def check_password(*, session: Session, user_id: str, password: str) -> bool:
    user = session.get(User, user_id)
    if user is None:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_role(*, session: Session, account_id: str, user_id: str, role: Role) -> None:
    """Changes a user's role; the account always keeps an owner."""
    user = _user_of(session, account_id, user_id)
    if user.role == Role.OWNER and role != Role.OWNER and _owners(session, account_id) <= 1:
        raise Conflict("the account needs at least one owner")
    user.role = Role(role).value
    session.add(user)


def remove_user(*, session: Session, account_id: str, user_id: str) -> None:
    """Removes a user and ends their sessions; the last owner cannot be removed."""
    user = _user_of(session, account_id, user_id)
    if user.role == Role.OWNER and _owners(session, account_id) <= 1:
        raise Conflict("the account needs at least one owner")
    for table in (WebSession, KnownDevice, PasswordReset):
        session.exec(delete(table).where(col(table.user_id) == user.id))
    session.delete(user)


def set_preferences(*, session: Session, user_id: str, time_zone: str, language: str) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    user.time_zone, user.language = time_zone, language
    session.add(user)


def _user_of(session: Session, account_id: str, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.account_id != account_id:
        raise NotFound("user")
    return user


def _owners(session: Session, account_id: str) -> int:
    return len(
        list(
            session.exec(select(User.id).where(User.account_id == account_id, User.role == Role.OWNER.value))
        )
    )


def get_user(*, session: Session, user_id: str) -> UserRead | None:
    user = session.get(User, user_id)
    return user_read(user) if user is not None else None
