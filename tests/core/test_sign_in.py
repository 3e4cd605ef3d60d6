"""Signing in to the web page: a link works once and for minutes, the session it opens lasts
until it expires or is ended, only hashes are stored, and failing addresses are slowed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bgdesk.core.app import Core
from bgdesk.core.sign_in import FAILURES_PER_MINUTE, LINK_PREFIX, SESSION_PREFIX
from bgdesk.errors import AccountSuspended, AuthenticationFailed, TooManySignIns
from bgdesk.storage.models import SignInLink, WebSession, utcnow

HERE = "127.0.0.1"


def test_a_link_opens_one_session_once(fake_core: Core) -> None:
    alice = fake_core.accounts.create("alice", credits=5)
    token = fake_core.sign_ins.link(alice)
    assert token.startswith(LINK_PREFIX)
    opened = fake_core.sign_ins.redeem(token, HERE)
    assert opened.token.startswith(SESSION_PREFIX) and opened.csrf_token
    assert fake_core.sign_ins.session(opened.token).account.name == "alice"
    with pytest.raises(AuthenticationFailed, match="used already"):
        fake_core.sign_ins.redeem(token, HERE)

    stored = [row.token_hash for row in SignInLink.select()]
    stored += [row.token_hash for row in WebSession.select()]
    assert token not in str(stored) and opened.token not in str(stored), "hashes only"


def test_expired_links_and_sessions_and_ended_ones_are_refused(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    stale = fake_core.sign_ins.link(owner, lifetime=timedelta(seconds=-1))
    with pytest.raises(AuthenticationFailed):
        fake_core.sign_ins.redeem(stale, HERE)

    opened = fake_core.sign_ins.redeem(fake_core.sign_ins.link(owner), HERE)
    fake_core.sign_ins.end(fake_core.sign_ins.session(opened.token))
    with pytest.raises(AuthenticationFailed, match="sign in again"):
        fake_core.sign_ins.session(opened.token)

    later = fake_core.sign_ins.redeem(fake_core.sign_ins.link(owner), HERE)
    WebSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    with pytest.raises(AuthenticationFailed):
        fake_core.sign_ins.session(later.token)
    for missing in (None, "", "ws_nothing", "sk_live_a-key-is-not-a-session"):
        with pytest.raises(AuthenticationFailed):
            fake_core.sign_ins.session(missing)


def test_a_suspended_account_cannot_sign_in_and_is_signed_out(fake_core: Core) -> None:
    bob = fake_core.accounts.create("bob")
    opened = fake_core.sign_ins.redeem(fake_core.sign_ins.link(bob), HERE)
    waiting = fake_core.sign_ins.link(bob)
    fake_core.accounts.set_status("bob", "suspended")
    with pytest.raises(AccountSuspended):
        fake_core.sign_ins.session(opened.token)
    with pytest.raises(AccountSuspended):
        fake_core.sign_ins.redeem(waiting, HERE)
    assert fake_core.sign_ins.end_all(bob) == 1


def test_an_address_that_keeps_failing_is_slowed_and_others_are_not(fake_core: Core) -> None:
    for _ in range(FAILURES_PER_MINUTE):
        with pytest.raises(AuthenticationFailed):
            fake_core.sign_ins.redeem("si_guess", "203.0.113.9")
    good = fake_core.sign_ins.link(fake_core.accounts.owner())
    with pytest.raises(TooManySignIns):
        fake_core.sign_ins.redeem(good, "203.0.113.9")
    assert fake_core.sign_ins.redeem(good, HERE).token, "another address signs in"
