"""`Core`: every service of bgdesk built from explicit settings and paths, for any face."""

from __future__ import annotations

import threading
from datetime import timedelta

from peewee import Database

from bgdesk.core.accounts import AccountService
from bgdesk.core.credits import CreditLedger
from bgdesk.core.cutouts import CutoutService
from bgdesk.core.events import ENDINGS, EventBus, JobEvent, JobEventKind
from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.core.fetches import PhotoFetches
from bgdesk.core.housekeeping import Housekeeping
from bgdesk.core.intake import JobIntake
from bgdesk.core.job_files import JobFiles
from bgdesk.core.keys import ApiKeyService
from bgdesk.core.leases import Leases
from bgdesk.core.queries import JobQueries
from bgdesk.core.runner import JobRunner
from bgdesk.core.running import JobRunning
from bgdesk.core.secrets import SecretStore
from bgdesk.core.sign_in import SignIns
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
        self.sign_ins = SignIns()
        self.fetcher = ImageFetcher(self._fetch_limits())
        self.public_url = ""
        self.serve_at(f"http://127.0.0.1:{settings.api_port}")  # until a server is bound
        self.serving = False  # a headless server (`bgdesk serve`), not the window or the CLI
        self._build_job_stages(paths, settings, engine)
        self.runner = JobRunner(
            self.running, self.fetches, self.housekeeping, workers=settings.parallel_jobs
        )
        self.webhooks = WebhookSender(
            self.events, lambda: self.public_url, lambda: self.settings.allow_private_urls
        )
        self.notices = EndNotices(self.db, self.leases.runner_id, self._ended_elsewhere)
        self.events.subscribe(self._tell_others)
        self.apply_settings()
        self.accounts.owner()

    def _build_job_stages(self, paths: Paths, settings: Settings, engine: CutoutEngine) -> None:
        """The services of a job's stages, over one set of files and one wake-up signal."""
        work_available = threading.Event()
        files = JobFiles(
            paths.uploads_dir, paths.outputs_dir, paths.edits_dir, settings.input_limits
        )
        self.files = files
        self.jobs = JobQueries(side_by_side=settings.parallel_jobs)
        self.fetches = PhotoFetches(
            self.fetcher, engine, files, self.ledger, self.events, work_available
        )
        self.intake = JobIntake(
            engine, self.ledger, self.events, files, self.fetches, self.jobs, work_available
        )
        self.leases = Leases(timedelta(seconds=settings.job_lease_seconds))
        self.running = JobRunning(
            engine, self.ledger, self.events, files, self.leases, work_available
        )
        self.cutouts = CutoutService(engine, self.events, files, self.jobs)
        self.housekeeping = Housekeeping(files, self.cutouts)

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
        settings = self.settings
        self.engine.configure(
            settings.default_model,
            settings.device,
            settings.decontaminate,
            settings.memory_budget_mb << 20,
        )
        self.fetcher.configure(self._fetch_limits())
        self.running.apply_settings(settings)
        self.housekeeping.apply_settings(settings, self.serving)

    def serve_at(self, bound_url: str) -> None:
        """Where clients reach the API (for download addresses and webhooks): the setting
        public_url, else `bound_url`, where its server was bound."""
        self.public_url = self.settings.public_url.rstrip("/") or bound_url

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
        self.fetches.close()
        self.leases.close()
        close_engine = getattr(self.engine, "close", None)
        if close_engine:
            close_engine()
        self.db.close()
