"""Signing in to the web page without a password or an API key in the browser.

The installation's owner hands a person a one-time link (`bgdesk accounts link NAME`, or the
window's Open in Browser). Its token travels in the link's fragment, which browsers never
send to a server or put in a Referer; the page posts it once and gets a session: a cookie
token the database keeps only the hash of, and a CSRF token every change must carry back.
A link works once and for minutes; a session for hours, until it ends or is ended.

Failed sign-ins are counted per address: a few a minute pass (a mistyped or stale link),
more are refused until the minute is over. Tokens are 256-bit random, so the limit keeps a
flood off the database rather than guessing at bay.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from bgdesk.errors import AccountSuspended, Conflict, NotSignedIn, TooManySignIns
from bgdesk.storage.dialects import writing
from bgdesk.storage.models import Account, AccountStatus, SignInLink, WebSession, utcnow

LINK_PREFIX = "si_"
SESSION_PREFIX = "ws_"
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
FAILURES_PER_MINUTE = 10  # from one address
REMEMBERED_ADDRESSES = 10_000  # beyond this many, addresses with no recent failure are forgotten


def sign_in_url(base_url: str, token: str) -> str:
    """The web page's address that signs in with `token`, carried in the fragment."""
    return f"{base_url.rstrip('/')}/#sign-in={token}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """A session just opened: the only moment its cookie token exists outside the browser."""

    session: WebSession
    token: str

    @property
    def csrf_token(self) -> str:
        return str(self.session.csrf_token)


class SignIns:
    """Mints sign-in links, turns them into sessions, finds and ends sessions."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._failures_lock = threading.Lock()

    def link(self, account: Account, lifetime: timedelta = LINK_LIFETIME) -> str:
        """A new one-time sign-in token for `account`, valid for `lifetime`."""
        if account.status != AccountStatus.ACTIVE:
            raise Conflict(f"{account.name} is suspended: resume the account first.")
        token = LINK_PREFIX + secrets.token_urlsafe(32)
        SignInLink.create(account=account, token_hash=_hash(token), expires_at=utcnow() + lifetime)
        return token

    def redeem(self, token: str, address: str) -> OpenedSession:
        """Open a session for the account a link `token` names, using the link up; refused
        (and counted against `address`) when it is unknown, used or expired."""
        self._check_pace(address)
        now = utcnow()
        with writing():
            link = SignInLink.get_or_none(SignInLink.token_hash == _hash(token.strip()))
            taken = (
                link is not None
                and SignInLink.update(used_at=now)
                .where(
                    SignInLink.id == link.id,
                    SignInLink.used_at.is_null(),
                    SignInLink.expires_at > now,
                )
                .execute()
                == 1
            )
            if not taken or link is None:
                self._failed(address)
                raise NotSignedIn(
                    "This sign-in link is not valid: it was used already, has expired or was "
                    "never made. Ask for a new one (`bgdesk accounts link NAME`)."
                )
            account = Account.get_by_id(link.account_id)
            if account.status != AccountStatus.ACTIVE:
                raise AccountSuspended()
            session_token = SESSION_PREFIX + secrets.token_urlsafe(32)
            session = WebSession.create(
                account=account,
                token_hash=_hash(session_token),
                csrf_token=secrets.token_urlsafe(32),
                expires_at=now + SESSION_LIFETIME,
            )
        return OpenedSession(session, session_token)

    def session(self, token: str | None) -> WebSession:
        """The live session a cookie `token` stands for, its account with it; 401 when there
        is none (never was, expired, ended), 403 when its account is suspended."""
        if not token or not token.startswith(SESSION_PREFIX):
            raise NotSignedIn("Not signed in.")
        session = (
            WebSession.select(WebSession, Account)
            .join(Account)
            .where(WebSession.token_hash == _hash(token))
            .get_or_none()
        )
        now = utcnow()
        if session is None or session.revoked_at is not None or session.expires_at <= now:
            raise NotSignedIn("The session has ended; sign in again.")
        if session.account.status != AccountStatus.ACTIVE:
            raise AccountSuspended()
        if session.last_seen_at is None or now - session.last_seen_at > LAST_SEEN_RESOLUTION:
            WebSession.update(last_seen_at=now).where(WebSession.id == session.id).execute()
        return session

    def end(self, session: WebSession) -> None:
        """Sign this browser out."""
        WebSession.update(revoked_at=utcnow()).where(
            WebSession.id == session.id, WebSession.revoked_at.is_null()
        ).execute()

    def end_all(self, account: Account) -> int:
        """Sign `account` out everywhere (when it is suspended, say); how many ended."""
        return int(
            WebSession.update(revoked_at=utcnow())
            .where(WebSession.account == account, WebSession.revoked_at.is_null())
            .execute()
        )

    # -- pace ---------------------------------------------------------------------------

    def _check_pace(self, address: str) -> None:
        with self._failures_lock:
            if self._failures_of(address) >= FAILURES_PER_MINUTE:
                raise TooManySignIns()

    def _failed(self, address: str) -> None:
        with self._failures_lock:
            if len(self._failures) > REMEMBERED_ADDRESSES:  # many addresses, each once
                for known in list(self._failures):
                    self._failures_of(known)
            self._failures.setdefault(address, deque()).append(time.monotonic())

    def _failures_of(self, address: str) -> int:
        """How many times `address` failed in the last minute (older ones forgotten, and
        the address with them once none is left)."""
        failures = self._failures.get(address)
        if failures is None:
            return 0
        while failures and failures[0] < time.monotonic() - 60:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return len(failures)
