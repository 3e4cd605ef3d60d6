"""Webhook deliveries: the notification a finished job owes, sent until the receiver takes it.

Deliveries are rows written in the same transaction that ends their job, so they survive a
restart. Each try is logged; a receiver that is down or answers non-2xx is tried again with
exponential backoff. Each try is claimed in the database first, so that of several processes
sharing one database (machines running `bgdesk worker`) exactly one sends it. Tries run side
by side on a bounded pool, at most `PER_HOST` at once to one receiver, and only as many are
claimed as there are free senders. Each try has one deadline for the whole of it (name lookup,
connect, request, status line and headers), not a timeout per read: a receiver that drips its
answer a byte at a time is cut off like one that hangs, and holds up nobody else's deliveries
for longer than that. Each try checks the receiver's address again and posts to the address it
checked, so a name that points elsewhere by then (DNS rebinding) cannot send it there. Bodies
are signed with the account's secret:

    X-Bgdesk-Signature: sha256=<hex HMAC-SHA256 of the raw body>
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bgdesk.core.events import ENDINGS, EventBus, JobEvent
from bgdesk.core.fetch import run_within, webhook_route
from bgdesk.core.job_records import as_utc_text
from bgdesk.errors import InvalidUrl
from bgdesk.storage.dialects import writing
from bgdesk.storage.failures import LoopFailures, storage_error
from bgdesk.storage.models import (
    Account,
    DeliveryStatus,
    Job,
    JobState,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)

if TYPE_CHECKING:
    import ssl

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Bgdesk-Signature"
MAX_ATTEMPTS = 10
MAX_DELAY = timedelta(hours=1)
SENDERS = 8  # tries in flight at once
PER_HOST = 2  # of them to one receiver (host and port)
CLAIM_MARGIN = timedelta(seconds=30)  # past a try's timeout, before others may take it over


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def output_path(job: Job) -> str:
    """The path part of a job's download URL; the token makes it unguessable."""
    return f"/outputs/{job.output_token}/{job.public_id}{Path(job.output_path).suffix}"


def payload(job: Job, base_url: str) -> dict[str, str | None]:
    body: dict[str, str | None] = {"jobId": job.public_id, "status": job.status}
    if job.status == JobState.COMPLETED:
        body["outputUrl"] = base_url.rstrip("/") + output_path(job)
    else:
        body["errorMessage"] = job.error_message
    body["completedAt"] = as_utc_text(job.completed_at)
    return body


class WebhookSender:
    """A background thread that sends due deliveries; `deliver_due` does one pass.
    `timeout` bounds each try as a whole, in seconds."""

    def __init__(
        self,
        events: EventBus,
        base_url: Callable[[], str],
        allow_private: Callable[[], bool] = lambda: False,
        timeout: float = 10.0,
        backoff: float = 2.0,
        poll: float = 1.0,
    ) -> None:
        self.base_url = base_url
        self.allow_private = allow_private
        self.timeout = timeout
        self.backoff = backoff
        self.poll = poll
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="bgdesk-webhook")
        self._in_flight: dict[int, str] = {}  # delivery id -> host
        self._in_flight_lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        events.subscribe(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        if event.kind in ENDINGS:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="bgdesk-webhook")
            self._thread = threading.Thread(target=self._run, name="bgdesk-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        failures = LoopFailures()
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._tls_context()  # httpx and the certificates: here, not on the starting thread
                self.deliver_due()
                failures.passed()
            except Exception as exc:  # out of files or a database away: the next pass retries
                if failures.first(exc):
                    trace = storage_error(exc) is None  # a busy database: no trace
                    log.warning("Webhook delivery pass failed (%s)", exc, exc_info=trace)
            self._wake.wait(self.poll)
        self._pool.shutdown(wait=True, cancel_futures=True)  # each try ends by its deadline

    def recent(self, limit: int = 200) -> list[WebhookDelivery]:
        """The latest deliveries, newest first, with their jobs joined in."""
        return list(
            WebhookDelivery.select(WebhookDelivery, Job)
            .join(Job)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )

    def attempts(self, delivery_id: int) -> list[WebhookAttempt]:
        return list(
            WebhookAttempt.select()
            .where(WebhookAttempt.delivery == delivery_id)
            .order_by(WebhookAttempt.id)
        )

    def send_again(self, delivery_id: int) -> None:
        """Put a delivery back in line now, with a fresh set of tries."""
        WebhookDelivery.update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=utcnow(), delivered_at=None
        ).where(WebhookDelivery.id == delivery_id).execute()
        self._wake.set()

    def deliver_due(self, wait: bool = False) -> int:
        """Start a try of each due delivery not in flight, oldest first, as far as free
        senders and the per-host bound allow; `wait`: return once they are done. Returns how
        many were started. A try is claimed only when a sender is free to start it at once,
        so its claim, which lasts its timeout and a margin, never runs out while it waits."""
        due = list(
            WebhookDelivery.select()
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= utcnow(),
            )
            .order_by(WebhookDelivery.next_attempt_at)
        )
        started = []
        with self._in_flight_lock:
            per_host = Counter(self._in_flight.values())
            for delivery in due:
                host = urlsplit(delivery.url).netloc.lower()  # a receiver: host and port
                if delivery.id in self._in_flight or per_host[host] >= PER_HOST:
                    continue
                if self._stopping.is_set() or len(self._in_flight) >= SENDERS:
                    break
                if not self._claim(delivery):
                    continue  # another process's sender took it
                per_host[host] += 1
                self._in_flight[delivery.id] = host
                started.append(self._pool.submit(self._try, delivery))
        if wait:
            for future in started:
                future.result()
        return len(started)

    def _claim(self, delivery: WebhookDelivery) -> bool:
        """Take a due delivery for one try, so that no other process sharing the database
        sends it meanwhile: it is not due again until the try has had its time (a sender
        that dies mid-try leaves it to the others then)."""
        until = utcnow() + timedelta(seconds=self.timeout) + CLAIM_MARGIN
        taken = (
            WebhookDelivery.update(next_attempt_at=until)
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
            )
            .execute()
        )
        return bool(taken)

    def _try(self, delivery: WebhookDelivery) -> None:
        try:
            self._attempt(delivery)
        except Exception:
            log.exception("Webhook delivery %s failed", delivery.id)
        finally:
            with self._in_flight_lock:
                self._in_flight.pop(delivery.id, None)
            self._wake.set()  # its receiver may have room for another now

    def _attempt(self, delivery: WebhookDelivery) -> None:
        import httpx

        job = Job.get_by_id(delivery.job_id)
        account = Account.get_by_id(job.account_id)
        body = json.dumps(payload(job, self.base_url())).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "bgdesk-webhooks",
            SIGNATURE_HEADER: sign(account.webhook_secret, body),
            "X-Bgdesk-Delivery": str(delivery.id),
        }
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            status_code = self._post(delivery.url, body, headers)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except InvalidUrl as exc:
            error = exc.message
        except TimeoutError:
            error = f"No answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._record(delivery, status_code, error, int((time.monotonic() - started) * 1000))

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` to `url` once and return the answer's status code, or TimeoutError
        once `timeout` has passed, whatever the receiver does meanwhile (see `run_within`)."""
        return run_within(self.timeout, self._post_pinned(url, body, headers))

    async def _post_pinned(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        import httpx

        # checked again at each try, as the name may point somewhere else by now, and posted
        # to the address checked, not to whatever a second lookup answers
        target, host, extensions = await asyncio.to_thread(webhook_route, url, self.allow_private())
        async with (
            httpx.AsyncClient(
                verify=self._tls_context(), timeout=None, follow_redirects=False
            ) as client,
            client.stream(
                "POST", target, content=body, headers=headers | host, extensions=extensions
            ) as response,
        ):
            return response.status_code  # the answer's body is not read

    def _tls_context(self) -> ssl.SSLContext:
        """What receivers' certificates are checked against: made once, as loading the
        trusted certificates takes a while."""
        import httpx

        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls

    def _record(
        self,
        delivery: WebhookDelivery,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
    ) -> None:
        attempts = delivery.attempts + 1
        now = utcnow()
        with writing():
            WebhookAttempt.create(
                delivery=delivery,
                attempted_at=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
            changes: dict[str, object] = {
                "attempts": attempts,
                "last_status_code": status_code,
                "last_error": error,
            }
            if error is None:
                changes |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
            elif attempts >= MAX_ATTEMPTS:
                changes["status"] = DeliveryStatus.FAILED
            else:
                delay = min(timedelta(seconds=self.backoff * 2 ** (attempts - 1)), MAX_DELAY)
                changes["next_attempt_at"] = now + delay
            WebhookDelivery.update(changes).where(WebhookDelivery.id == delivery.id).execute()
        if error:
            log.info("Webhook %s to %s failed (%s)", delivery.id, delivery.url, error)
