"""A job's record, read and written the same way by every stage: its id, the options and edits
it keeps as JSON, the messages it shows, and what its end owes (a refund, a webhook)."""

from __future__ import annotations

import json
import re
import secrets
import string
from datetime import datetime
from typing import Any

from bgdesk.core.credits import CreditLedger
from bgdesk.core.events import EventBus, JobEvent, JobEventKind
from bgdesk.inference.marks import Mark, mark_from_dict
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Job, JobState, WebhookDelivery

CANCELLED = "cancelled"  # the error code of a job its owner took off the queue
_ID_ALPHABET = string.ascii_lowercase + string.digits
# An absolute path (POSIX or Windows), not the path part of a URL
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"():,;]+)+")


def new_job_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def without_paths(message: str) -> str:
    """`message` with every absolute file path cut to its last part: a job's error is read
    through the API by people who have no business knowing the server's folders."""
    return _ABSOLUTE_PATH.sub(lambda match: re.split(r"[\\/]", match.group())[-1], message)


def printable(name: str) -> str:
    """A file name as people are shown it and the database keeps it: without control
    characters (an upload may name itself anything, NUL included), at most 255 of them."""
    return "".join(char for char in name if char.isprintable())[:255]


def options_of(job: Job) -> OutputOptions:
    """The output options `job` was submitted with."""
    return OutputOptions.from_mapping(json.loads(job.options))


def edits_of(job: Job) -> dict[str, Any]:
    """A job's edits: `marks` (strokes, clicks and boxes as dicts, in order) and `background`
    (the output option fields that replace the submitted background), each only when made."""
    edits: dict[str, Any] = json.loads(job.edits) if job.edits else {}
    return edits


def marks_of(job: Job) -> tuple[Mark, ...]:
    """The marks laid on `job`'s mask, in order (jobs edited before clicks and boxes existed
    kept their brush strokes under `strokes`)."""
    edits = edits_of(job)
    return tuple(mark_from_dict(values) for values in edits.get("marks", edits.get("strokes", [])))


def rendered_options(job: Job) -> OutputOptions:
    """The options `job`'s cutout is made with: as submitted, with the background a person
    chose since in place of the submitted one."""
    options = options_of(job)
    background = edits_of(job).get("background")
    return options if background is None else options.with_background(background)


def settle(ledger: CreditLedger, job: Job, status: JobState) -> None:
    """What a job's end owes, inside the transaction recording it: a failed job's refund,
    and the webhook delivery when it named one."""
    if status == JobState.FAILED:
        ledger.refund(job)
    if job.webhook_url:
        WebhookDelivery.create(job=job, url=job.webhook_url, event=status)


def announce(events: EventBus, kind: JobEventKind, job: Job) -> None:
    """Tell this process's listeners that `job` changed."""
    events.publish(JobEvent(kind, job.public_id, job.account_id))


def as_utc_text(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API writes times."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"
