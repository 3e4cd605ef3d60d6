"""`Core`: every service of bgdesk built from explicit settings and paths, for any face."""

from __future__ import annotations

from datetime import timedelta

from peewee import Database

from bgdesk.core.accounts import AccountService
from bgdesk.core.credits import CreditLedger
from bgdesk.core.events import ENDINGS, EventBus, JobEvent, JobEventKind
from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.core.intake import Intake
from bgdesk.core.jobs import JobService
from bgdesk.core.keys import ApiKeyService
from bgdesk.core.runner import JobRunner
from bgdesk.core.secrets import SecretStore
from bgdesk.core.system import SystemReport, report
from bgdesk.core.webhooks import WebhookSender
from bgdesk.inference.devices import DeviceChoice
from bgdesk.inference.engine import CutoutEngine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.database import BUSY_TIMEOUT, open_database, without_password
from bgdesk.storage.notices import EndNotices


class Core:
    """The services over one database; `start` runs queued jobs in the background."""

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        engine: CutoutEngine,
        secret_store: SecretStore,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        paths = paths.storing_in(settings.storage_dir)
        paths.ensure()
        self.paths = paths
        self.settings = settings
        self.engine = engine
        self.db: Database = open_database(settings.database_url or paths.database, busy_timeout)
        self.events = EventBus()
        self.ledger = CreditLedger()
        self.accounts = AccountService(self.ledger)
        self.keys = ApiKeyService(secret_store)
        self.jobs = JobService(
            engine,
            self.ledger,
            self.events,
            paths.outputs_dir,
            paths.uploads_dir,
            paths.edits_dir,
            settings.input_limits,
            side_by_side=settings.parallel_jobs,
        )
        self.jobs.lease = timedelta(seconds=settings.job_lease_seconds)
        self.runner = JobRunner(self.jobs, workers=settings.parallel_jobs)
        self.fetcher = self.jobs.fetcher = ImageFetcher(self._fetch_limits())
        self.intake = Intake(self.jobs, self.fetcher)
        self.public_url = f"http://127.0.0.1:{settings.api_port}"
        self.serving = False  # a headless server (`bgdesk serve`), not the window or the CLI
        self.webhooks = WebhookSender(
            self.events, lambda: self.public_url, lambda: self.settings.allow_private_urls
        )
        self.notices = EndNotices(self.db, self.jobs.runner_id, self._ended_elsewhere)
        self.events.subscribe(self._tell_others)
        self.apply_settings()
        self.accounts.owner()

    def _tell_others(self, event: JobEvent) -> None:
        if event.here and event.kind in ENDINGS:
            self.notices.send(event.kind, event.job_id, event.account_id)

    def _ended_elsewhere(self, kind: str, public_id: str, account_id: int) -> None:
        self.events.publish(JobEvent(JobEventKind(kind), public_id, account_id, here=False))

    @property
    def database_shown(self) -> str:
        """Where the jobs and the ledger are, safe to print (no password)."""
        return without_password(self.settings.database_url) or str(self.paths.database)

    def apply_settings(self) -> None:
        """Take in changed settings that need no restart: the model, the device, edge
        colours, URL fetching and what is kept."""
        self.engine.default_model = self.settings.default_model
        self.engine.device = self.settings.device
        self.engine.decontaminate = self.settings.decontaminate
        self.engine.memory_budget = self.settings.memory_budget_mb << 20
        self.fetcher.limits = self._fetch_limits()
        self.jobs.keep_uploads = self.settings.keep_uploads
        self.jobs.keep_outputs = self.settings.keep_outputs(self.serving)

    def system(self, load: bool = False) -> SystemReport:
        """What this installation is and where its models run (`load`: checked by loading
        the default model on the device)."""
        return report(self.engine, ModelStore.of(self.paths), load)

    def check_device(self) -> DeviceChoice:
        """Where models run, and why; raises `DeviceUnavailable` when the device the settings
        name cannot run them."""
        return self.engine.check_device()

    def _fetch_limits(self) -> FetchLimits:
        settings = self.settings
        return FetchLimits(
            settings.input_limits.max_bytes,
            settings.url_fetch_timeout,
            settings.url_fetch_max_redirects,
            settings.allow_private_urls,
        )

    def start(self, serving: bool = False, run_jobs: bool = True) -> None:
        """Run queued jobs and send owed webhooks in the background; `serving`: as a
        headless server, which keeps stored cutouts for a limited time by default;
        `run_jobs` False: only take jobs in, for other machines' workers to run."""
        self.serving = serving
        self.apply_settings()
        self.notices.start()
        if run_jobs:
            self.runner.start()
            self.webhooks.start()

    def close(self) -> None:
        self.notices.stop()
        self.webhooks.stop()
        self.runner.stop()
        self.jobs.close()
        close_engine = getattr(self.engine, "close", None)
        if close_engine:
            close_engine()
        self.db.close()
