"""The tables, as peewee models bound to one database proxy.

The schema itself lives in `migrations.py` (constraints included); these classes map it.
Times are naive datetimes in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class AccountStatus(StrEnum):
    """Whether an account's keys may queue work."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class Account(BaseModel):
    """Who owns keys, credits and jobs. The installation's own account is the owner."""

    id = AutoField()
    name = CharField(unique=True)
    status = CharField(default=AccountStatus.ACTIVE)
    is_owner = BooleanField(default=False)
    webhook_secret = CharField()
    created_at = DateTimeField(default=utcnow)


class ApiKey(BaseModel):
    """A Bearer key; only its SHA-256 and a display prefix are stored."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="keys", on_delete="CASCADE")
    account_id: int
    name = CharField()
    prefix = CharField(index=True)
    key_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class SignInLink(BaseModel):
    """A one-time link that signs its holder in to the web page as `account`; only the
    SHA-256 of its token is stored."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="sign_in_links", on_delete="CASCADE")
    account_id: int
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class WebSession(BaseModel):
    """A browser signed in to the web page: its cookie's token (hashed), the token its
    changes must carry against cross-site requests, and how long it lasts."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="web_sessions", on_delete="CASCADE")
    account_id: int
    token_hash = CharField(unique=True)
    csrf_token = CharField()
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    last_seen_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class JobState(StrEnum):
    """A job's life: queued → running → completed | failed (a crash sends running back to
    queued)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


class JobSource(StrEnum):
    """Which face queued a job."""

    DESKTOP = "desktop"
    API = "api"
    CLI = "cli"


class Job(BaseModel):
    """One background removal, from submission to its output file (or its error)."""

    id = AutoField()
    public_id = CharField(unique=True)
    account = ForeignKeyField(Account, backref="jobs", on_delete="CASCADE")
    account_id: int
    source = CharField()  # a JobSource
    status = CharField(default=JobState.QUEUED)
    input_path = TextField()
    input_name = TextField()
    owns_input = BooleanField(default=False)
    input_url = TextField(null=True)  # where the photo is fetched from, for image_url jobs
    input_ready = BooleanField(default=True)  # false while an image_url is being fetched
    output_path = TextField()
    output_token = CharField(unique=True)
    options = TextField(default="{}")
    webhook_url = TextField(null=True)
    error_code = CharField(null=True)
    error_message = TextField(null=True)
    warning = TextField(null=True)  # a finished cutout a person should look at, and why
    confidence = FloatField(null=True)  # how sure the model was of the finished cutout, 0..1
    model = TextField(null=True)  # the model that made the cutout
    attempts = IntegerField(default=0)
    runner_id = CharField(null=True)
    runner_host = TextField(null=True)  # the machine runner_pid means something on
    runner_pid = IntegerField(null=True)
    lease_expires_at = DateTimeField(null=True)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    output_deleted_at = DateTimeField(null=True)
    edits = TextField(null=True)  # brush strokes laid on the model's mask, as JSON
    edited_at = DateTimeField(null=True)  # when the cutout was last changed by a person
    watched_from = TextField(null=True)  # the watched folder the photo arrived in, if one

    @property
    def edited(self) -> bool:
        """Touched up by a person since the model made it."""
        return bool(self.edits)

    @property
    def has_output(self) -> bool:
        """Finished with a cutout that was not deleted since."""
        return self.status == JobState.COMPLETED and self.output_deleted_at is None


class CreditKind(StrEnum):
    """What a ledger row records."""

    GRANT = "grant"  # credits given to an account (+)
    CHARGE = "charge"  # a job's cost (-1)
    REFUND = "refund"  # a failed job's cost given back (+1)


class CreditEntry(BaseModel):
    """A ledger row: one of the `CreditKind`s."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="credit_entries", on_delete="CASCADE")
    job = ForeignKeyField(Job, null=True, backref="credit_entries", on_delete="RESTRICT")
    kind = CharField()
    amount = IntegerField()
    note = TextField(default="")
    created_at = DateTimeField(default=utcnow)


class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(BaseModel):
    """The notification owed for a finished job that named a webhook_url."""

    id = AutoField()
    job = ForeignKeyField(Job, backref="deliveries", on_delete="CASCADE", unique=True)
    job_id: int
    url = TextField()
    event = CharField()  # the JobState the job ended in
    status = CharField(default=DeliveryStatus.PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_status_code = IntegerField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    delivered_at = DateTimeField(null=True)


class WebhookAttempt(BaseModel):
    """One try at a delivery: the log the window shows."""

    id = AutoField()
    delivery = ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="CASCADE")
    attempted_at = DateTimeField(default=utcnow)
    status_code = IntegerField(null=True)
    error = TextField(null=True)
    duration_ms = IntegerField(default=0)
