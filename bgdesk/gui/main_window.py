"""The main window: drop photos, watch the queue, compare before and after, take cutouts away."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QPixmap,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.core.credits import MAX_GRANT
from bgdesk.core.events import ENDINGS, JobEventKind
from bgdesk.core.job_records import CANCELLED
from bgdesk.core.sign_in import LINK_LIFETIME, sign_in_url
from bgdesk.errors import (
    BgdeskError,
    DeviceUnavailable,
    InsufficientCredits,
    ModelUnavailable,
    NotFound,
    error_class,
)
from bgdesk.gui.backgrounds import BackgroundMenu
from bgdesk.gui.batch import Batch, BatchStatus, Outcome, saved_where
from bgdesk.gui.bridge import CoreBridge
from bgdesk.gui.drop_highlight import DropHighlight
from bgdesk.gui.embedded_api import ApiStatus, EmbeddedApi
from bgdesk.gui.exporter import CutoutExporter, FolderMemory
from bgdesk.gui.history import History
from bgdesk.gui.images import PreviewLoader
from bgdesk.gui.job_actions import JobActions, plural
from bgdesk.gui.keys_dialog import KeysDialog
from bgdesk.gui.menus import Command, build_menus
from bgdesk.gui.notices import Notices
from bgdesk.gui.preview import BeforeAfterView
from bgdesk.gui.queue import JobQueue
from bgdesk.gui.refusals import RefusalPanel
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.gui.submissions import Refusal, Submissions, expand
from bgdesk.gui.touch_up import TouchUp
from bgdesk.gui.touch_up_toolbar import TouchUpBar
from bgdesk.gui.watching import WatchedFolders
from bgdesk.gui.webhooks_dialog import WebhooksDialog
from bgdesk.gui.welcome import Welcome
from bgdesk.gui.wording import plain_words, window_words
from bgdesk.inference.decode import IMAGE_SUFFIXES
from bgdesk.paths import resource
from bgdesk.storage.models import UNFINISHED, Job, JobSource, JobState, utcnow

BACKDROPS = {
    "Checkerboard": None,
    "White": QColor("white"),
    "Black": QColor("black"),
    "Green": QColor(0, 177, 64),
}
PREVIEW_NOTES = {
    JobState.QUEUED: "Waiting for its turn…",
    JobState.RUNNING: "Removing the background…",
}
OPEN_FILTER = "Photos (" + " ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES)) + ")"
REFRESH_MS = 2000  # how often jobs changed by other bgdesk processes are looked for
SAMPLE_PHOTO = "sample-photo.jpg"  # in resources/
WINDOW_SOURCES = (JobSource.DESKTOP,)  # the jobs a window follows as its batches
NEEDS_A_CUTOUT = (  # offered only while a finished job (or several jobs) is selected
    Command.TOUCH_UP,
    Command.CLICK_SELECT,
    Command.CUT_OUT_AGAIN,
    Command.SAVE,
    Command.SAVE_AS,
    Command.COPY_CUTOUT,
    Command.TRANSPARENT_BACKGROUND,
    Command.BACKGROUND_COLOUR,
    Command.BACKGROUND_PICTURE,
    Command.BLURRED_PHOTO_BACKGROUND,
)
NEEDS_THE_API = (Command.API_DOCUMENTATION, Command.OPEN_IN_BROWSER)  # pages it serves


class MainWindow(QMainWindow):
    """Queue on the left, before/after on the right, credits and API state in the toolbar."""

    core: Core
    api: EmbeddedApi
    queue: JobQueue
    preview: BeforeAfterView
    job_actions: JobActions
    backdrop_choice: QComboBox
    touch_up: TouchUp
    backgrounds: BackgroundMenu
    menu_actions: dict[Command, QAction]

    def __init__(self, core: Core, api: EmbeddedApi) -> None:
        super().__init__()
        self.core = core
        self.api = api
        self.setWindowTitle("bgdesk")
        self.setAcceptDrops(True)
        self.bridge = CoreBridge(core.events, self)
        self.submissions = Submissions(core)
        self.watched = WatchedFolders(core, self)
        self.queue = JobQueue()
        self.preview = BeforeAfterView()
        self.welcome = Welcome()
        self.pages = QStackedWidget()
        self.credits = QLabel()
        self.progress = QLabel()
        self.api_state = QLabel()
        self.backdrop_choice = QComboBox()
        self.zoom_level = QLabel()
        self.device_state = QLabel()
        self.batch = Batch()
        self.batch_status = BatchStatus()
        self.refusals = RefusalPanel()
        self.refusals.add_again.connect(self.submissions.add)
        self.refusals.dismissed.connect(self._show_welcome_when_empty)
        self.notices = Notices(self)
        self.window_state = QSettings(
            str(core.paths.config_dir / "window.ini"), QSettings.Format.IniFormat
        )
        self.folders = FolderMemory(self.window_state)
        self.exporter = CutoutExporter(core, self, self.folders, self.show_message, self.notices)
        self.touch_up = TouchUp(core, self.preview, self.show_message, self.window_state)
        self.job_actions = JobActions(
            core,
            self.queue,
            self.exporter,
            self,
            self.show_message,
            self.touch_up.flush,
            self.touch_up.recut_later,
        )
        self.backgrounds = BackgroundMenu(
            core,
            self.touch_up,
            lambda: [job for job in self.job_actions.selected() if job.has_output],
            self.window_state,
            OPEN_FILTER,
            self,
        )
        self.preview_loader = PreviewLoader(self)
        self._build()
        self.drop_highlight = DropHighlight(self)
        self._connect()
        # Between batches the window gives back the memory cutouts took (a server, or a
        # script's `bgdesk watch`, keeps its models loaded for the next photo).
        core.runner.idle = core.engine.release_memory
        self.history = History(core, self.queue)
        self.history.reload()
        self._select_remembered()
        self._enable_for_selection()
        self._follow_resumed()
        self._update_status()
        self._last_refresh = utcnow()
        self._refresh_timer = QTimer(self, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh)
        self._refresh_timer.start()
        geometry = self.window_state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    # -- layout and menus ---------------------------------------------------------------

    def _connect(self) -> None:
        """What the window does when the core, the API, the queue or the preview tell it."""
        self.bridge.job_changed.connect(self._on_job_changed)
        self.api.changed.connect(self._show_api)
        self.submissions.refused.connect(self._on_refused)
        self.preview_loader.loaded.connect(self._show_loaded)
        self.queue.selected.connect(lambda _: self._selection_moved())
        self.queue.list.itemSelectionChanged.connect(self._enable_for_selection)
        self.touch_up.changed.connect(self._enable_for_selection)
        self.touch_up.stopped.connect(self._show_selected)
        self.preview.leave_requested.connect(self.touch_up.stop)

    def _build(self) -> None:
        self.menu_actions = actions = build_menus(self)
        self.toolbar = toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        toolbar.installEventFilter(self)
        self.addToolBar(toolbar)
        toolbar.addAction(actions[Command.OPEN])
        toolbar.addAction(actions[Command.PASTE])
        actions[Command.TOUCH_UP].setToolTip("Fix the cutout with a brush (T)")
        toolbar.addAction(actions[Command.TOUCH_UP])
        self.background_button = background = QToolButton()
        background.setText("Background")
        background.setToolTip("What is behind the selected cutouts, in the saved files too")
        background.setMenu(self.backgrounds)
        background.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        toolbar.addWidget(background)
        self.pause_watching = toolbar.addAction("Pause watching")
        self.pause_watching.setCheckable(True)
        self.pause_watching.setToolTip("Stop taking new photos from the watched folders")
        self.pause_watching.toggled.connect(self._pause_watching)
        self.watched.taken.connect(self.show_message)
        self._show_watching()
        self.backdrop_choice.addItems(list(BACKDROPS))
        self.backdrop_choice.setAccessibleName("Backdrop")
        self.backdrop_choice.currentTextChanged.connect(
            lambda name: self.preview.set_backdrop(BACKDROPS[name])
        )
        toolbar.addWidget(QLabel(" Backdrop: "))
        toolbar.addWidget(self.backdrop_choice)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.credits)
        toolbar.addWidget(QLabel("   "))
        toolbar.addWidget(self.api_state)
        self._show_api(self.api.status)
        self._build_panes()
        self._build_touch_bar()
        self._build_status_bar()

    def _build_panes(self) -> None:
        """The queue on the left; the welcome page or the preview on the right."""
        splitter = QSplitter()
        self.queue_column = left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.refusals)
        column.addWidget(self.queue)
        splitter.addWidget(left)
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.preview)
        self.welcome.open_requested.connect(self.open_files)
        self.welcome.sample_requested.connect(self.try_sample)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 800])
        self.setCentralWidget(splitter)
        self.resize(1100, 700)

    def _build_touch_bar(self) -> None:
        """The touch-up tools, on a second row, shown while touching up."""
        self.touch_bar = TouchUpBar(self.touch_up, self.menu_actions, self.statusBar())
        self.addToolBarBreak()
        self.addToolBar(self.touch_bar)
        self.touch_bar.refresh()

    def _build_status_bar(self) -> None:
        self.statusBar().addPermanentWidget(self.batch_status)
        self.batch_status.show_failed.connect(lambda: self.queue.filter.setText("Failed"))
        self.statusBar().addPermanentWidget(self.progress)
        self.zoom_level.setToolTip("Zoom: 100 % shows the picture's actual pixels")
        self.statusBar().addPermanentWidget(self.zoom_level)
        self.statusBar().addPermanentWidget(self.device_state)
        self.statusBar().showMessage("Drop photos, folders or image links anywhere.")
        self.preview.zoom_changed.connect(
            lambda scale: self.zoom_level.setText(f"{scale * 100:.0f} %")
        )

    # -- touching up --------------------------------------------------------------------

    def toggle_touch_up(self) -> None:
        """Touch the selected cutout up, or stop touching up."""
        if self.touch_up.job_id is not None:
            self.touch_up.stop()
            return
        job = self.selected_job()
        if job is None:
            self.show_message("Choose a finished cutout to touch up.")
        else:
            self.touch_up.start(job)
        self.touch_bar.refresh()

    def fix_with_clicks(self) -> None:
        """Touch the selected cutout up with clicks and a box (starting a touch-up if none is
        under way): what the "check it" mark offers."""
        if self.touch_up.job_id is None:
            self.toggle_touch_up()
        self.touch_up.use_selection()
        self.touch_bar.refresh()

    def _enable_for_selection(self) -> None:
        """What needs a cutout is offered only while one is selected (or touched up)."""
        chosen = self.queue.selected_ids()
        one = self.core.jobs.get_many(chosen[:1]).get(chosen[0]) if len(chosen) == 1 else None
        has_cutout = len(chosen) > 1 or (one is not None and one.has_output)
        for command in NEEDS_A_CUTOUT:
            self.menu_actions[command].setEnabled(has_cutout)
        self.background_button.setEnabled(has_cutout)
        if self.touch_up.job_id is not None:
            self.menu_actions[Command.TOUCH_UP].setEnabled(True)

    def _selection_moved(self) -> None:
        if self.touch_up.job_id is not None and self.touch_up.job_id != self.queue.current_id():
            self.touch_up.stop()
        else:
            self._show_selected()

    # -- input --------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.source() is None and (event.mimeData().hasUrls() or event.mimeData().hasText()):
            event.acceptProposedAction()
            self.drop_highlight.appear()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_highlight.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_highlight.hide()
        if event.source() is not None:  # a cutout dragged from this window's own list
            event.ignore()
            return
        self.add_urls(event.mimeData().urls(), event.mimeData().text())
        event.acceptProposedAction()

    def add_urls(self, urls: list[QUrl], text: str = "") -> None:
        local = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
        remote = [url.toString() for url in urls if url.scheme() in ("http", "https")]
        if not urls and text.strip().startswith(("http://", "https://")):
            remote.append(text.strip())
        targets = expand(local) + remote
        if targets:
            self.submissions.add(targets)
        elif local:
            self.statusBar().showMessage("No photos in what was dropped.", 10_000)

    def open_handed_over(self, files: list[str]) -> None:
        """Files given at launch, or by a later launch: queue them and come to the front."""
        if files:
            self.add_urls([QUrl.fromLocalFile(path) for path in files])
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def open_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open photos", str(self.folders.get("open")), OPEN_FILTER
        )
        if names:
            self.folders.remember("open", Path(names[0]).parent)
            self.add_urls([QUrl.fromLocalFile(name) for name in names])

    def try_sample(self) -> None:
        self.submissions.add_copy(resource(SAMPLE_PHOTO))

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime.hasImage():
            stamp = datetime.now().strftime("%Y-%m-%d %H.%M.%S")
            self.submissions.add_image(clipboard.image(), f"Pasted image {stamp}.png")
        else:
            self.add_urls(mime.urls(), mime.text())

    # -- the queue, live ----------------------------------------------------------------

    def _on_job_changed(self, kind: str, job_id: str) -> None:
        try:
            job = self.core.jobs.get(job_id)
        except NotFound:  # its account was deleted meanwhile
            self.queue.remove(job_id)
            self._show_welcome_when_empty()
            return
        self.queue.upsert(job)
        if kind in (JobEventKind.QUEUED, JobEventKind.DELETED):
            self.history.tell()
        if kind == JobEventKind.QUEUED:
            self.queue.added_behind_filter(job_id)
        # A photo added to an idle window is shown (a script's jobs leave the view alone).
        first_of_batch = (
            kind == JobEventKind.QUEUED and not self.batch.waiting and job.source != JobSource.API
        )
        self._follow_batch(kind, job)
        self._update_status()
        if first_of_batch and self.touch_up.job_id is None and self.queue.shows(job_id):
            self.queue.select_id(job_id)  # new photos are shown, as they arrive
        elif kind == JobEventKind.QUEUED and not self.queue.current_id():
            self.queue.follow_filter()
        elif self.queue.current_id() == job_id:
            self._show_selected()
        if job_id in self.queue.selected_ids():  # finished, failed or gone: what it offers
            self._enable_for_selection()
        if kind == JobEventKind.FAILED and issubclass(
            error_class(job.error_code), ModelUnavailable | DeviceUnavailable
        ):
            full = job.error_message or "The model cannot run here."
            code = job.error_code or ""
            self._offer_settings(code, window_words(code, full, self.core.settings.device), full)

    def _batch_for_new_work(self) -> Batch:
        """The batch a new photo or refusal joins: the one under way (or holding refusals
        alone), else a new one once the last has ended."""
        if not self.batch.waiting and self.batch.finished:
            self.batch = Batch()
        return self.batch

    def _follow_batch(self, kind: str, job: Job) -> None:
        """Count the job into the batch under way (or a new one); show progress or the end."""
        if kind == JobEventKind.QUEUED:
            self._batch_for_new_work().add(job.public_id)
        elif kind in ENDINGS:
            outcome = (
                Outcome.DONE
                if kind == JobEventKind.COMPLETED
                else Outcome.CANCELLED
                if job.error_code == CANCELLED
                else Outcome.FAILED
            )
            if not self.batch.end(job.public_id, outcome):
                return
            if job.warning:
                self.batch.to_check.append(job.public_id)
        else:
            return
        if self.batch.waiting:
            last = self.core.jobs.get_many(self.batch.waiting[-1:])
            left = [self.core.jobs.estimate_seconds(j) for j in last.values()]
            self.batch_status.running(self.batch, left[0] if left else None)
        else:
            done = self.core.jobs.get_many(self.batch.ended[Outcome.DONE]).values()
            where = saved_where([Path(job.output_path) for job in done if job.has_output])
            self.batch_status.ended(self.batch, where)
            if where:
                self.statusBar().showMessage(where)

    def _select_remembered(self) -> None:
        """The job selected when the window last closed is selected again (fetched, when it
        is older than the first page of the history)."""
        remembered = self.window_state.value("selected job")
        if not isinstance(remembered, str) or not remembered:
            return
        if not self.queue.holds(remembered):
            try:
                self.queue.upsert(self.core.jobs.get(remembered))
            except NotFound:  # removed since, or another home's
                return
        if self.queue.shows(remembered):
            self.queue.select_id(remembered)

    def _follow_resumed(self) -> None:
        """Photos added in the window and left unfinished when it last closed are finished
        now: followed as a batch, with progress and a summary."""
        unfinished = self.core.jobs.unfinished_by_output().values()
        resumed = [job for job in unfinished if job.source in WINDOW_SOURCES]
        if not resumed:
            return
        for job in resumed:
            self.batch.add(job.public_id)
        self.batch_status.running(self.batch, None)
        self.statusBar().showMessage(f"Finishing {plural(len(resumed), 'photo')} from last time")

    def _refresh(self) -> None:
        """Pick up jobs that other bgdesk processes (the CLI, a second server, a worker)
        changed, counting those that ended into the batch under way."""
        since, self._last_refresh = self._last_refresh - timedelta(seconds=1), utcnow()
        for job in self.core.jobs.changed_since(since):
            self.queue.upsert(job)
            if job.public_id in self.batch.waiting and job.status not in UNFINISHED:
                ending = JobEventKind.COMPLETED if job.has_output else JobEventKind.FAILED
                self._follow_batch(ending, job)
        self._update_status()

    def _show_selected(self) -> None:
        """Ask for the selected job's pictures; `_show_loaded` shows them once read."""
        job = self.selected_job()
        if job is None:
            self.preview.show_images(None, None)
            return
        if self.touch_up.job_id == job.public_id:  # the view shows the painting itself
            return
        self.preview_loader.request(
            job.public_id, job.input_path, job.output_path if job.has_output else None
        )
        if job.status == JobState.FAILED:
            self.statusBar().showMessage(plain_words(f"{job.input_name}: {job.error_message}"))

    def _show_loaded(self, job_id: str, before: QImage, after: QImage) -> None:
        job = self.core.jobs.get_many([job_id]).get(job_id)
        if job is None or job_id != self.queue.current_id():  # moved on, or gone meanwhile
            return
        note = PREVIEW_NOTES.get(JobState(job.status), "")
        if job.status == JobState.FAILED:
            note = f"No cutout: {plain_words(job.error_message or '')}"
        self.preview.show_images(
            None if before.isNull() else QPixmap.fromImage(before),
            None if after.isNull() else QPixmap.fromImage(after),
            note,
            self._warning_of(job),
        )

    def _warning_of(self, job: Job) -> str:
        """What the preview says over a doubtful cutout, with the fixes on offer."""
        if not job.warning:
            return ""
        fixes = "W fixes it with clicks"
        stronger = self.core.engine.stronger_model(job.model)
        if stronger and self.core.cutouts.editable(job) is None:
            fixes += f", Shift+W cuts it out again with {stronger}"
        return f"{job.warning} Check the cutout before using it; {fixes}."

    def _show_welcome_when_empty(self) -> None:
        """An empty history: the drop target fills the window, with no empty list beside it
        (unless something was refused, which the list's column says)."""
        empty = self.queue.list.count() == 0
        self.pages.setCurrentWidget(self.welcome if empty else self.preview)
        self.queue_column.setVisible(not empty or not self.refusals.isHidden())

    def _update_status(self) -> None:
        """The balance in the toolbar, and how much work is under way in the status bar."""
        balance = self.core.ledger.balance(self.core.accounts.owner())
        self.credits.setText(f"Credits: {balance}")
        self.refusals.credits_available(balance)
        self._show_device()
        running, waiting = self.core.jobs.unfinished()
        parts = [f"{running} working"] if running else []
        parts += [f"{waiting} waiting"] if waiting else []
        self.progress.setText(" · ".join(parts))
        self._show_welcome_when_empty()

    def _show_device(self) -> None:
        """Where the models run, in the status bar; why, in its tooltip."""
        try:
            choice = self.core.engine.device_in_use()
            text, why = choice.device.label, choice.reason
        except BgdeskError as exc:
            text, why = f"⚠ No {self.core.settings.device} device", exc.message
        self.device_state.setText(f"Runs on: {text}")
        self.device_state.setToolTip(why)

    def selected_job(self) -> Job | None:
        job_id = self.queue.current_id()
        return self.core.jobs.get(job_id) if job_id else None

    # -- telling the person -------------------------------------------------------------

    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(plain_words(message), 10_000)

    def _on_refused(self, refusal: Refusal) -> None:
        self.show_message(refusal.summary())
        self.refusals.add(refusal)
        self._batch_for_new_work().refused += len(refusal.names)
        self._update_status()
        family = error_class(refusal.code)
        if issubclass(family, InsufficientCredits):
            self.notices.ask(
                "Not enough credits",
                f"{refusal.summary()}\n\nEach cutout costs "
                "one credit. Grant more credits to this computer's account to go "
                "on.",
                "Grant Credits…",
                self.grant_credits,
                details=refusal.details,
            )
        elif issubclass(family, ModelUnavailable | DeviceUnavailable):
            self._offer_settings(refusal.code, refusal.message, refusal.details)

    def _offer_settings(self, code: str, message: str, details: str) -> None:
        """A notice for a model or device that cannot cut out, with the way to mend it."""
        if issubclass(error_class(code), DeviceUnavailable):
            hint = (
                "Choose Automatic (whatever this computer has) or CPU as the device in "
                "Settings, then add the photos again."
            )
        else:
            hint = "Install or import a model in Settings, then add the photos again."
        self.notices.ask(
            "Cannot cut out", message, "Open Settings…", self.open_settings, hint, details
        )

    # -- account, settings, help --------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.api.status.url or self.core.public_url

    def open_keys(self) -> None:
        KeysDialog(self.core, self.api_url, self).exec()

    def open_webhooks(self) -> None:
        WebhooksDialog(self.core, self).exec()

    def open_settings(self) -> None:
        status = self.api.status
        notes = {status.setting: status.problem} if status.setting else {}
        if SettingsDialog(self.core, self, notes).exec():
            self._show_device()
            self.api.apply_settings()
            self.watched.apply()
            self._show_watching()

    def _pause_watching(self, paused: bool) -> None:
        """The button says what pressing it does next."""
        self.watched.set_paused(paused)
        self.pause_watching.setText("Resume watching" if paused else "Pause watching")
        self.pause_watching.setToolTip(
            "Take new photos from the watched folders again"
            if paused
            else "Stop taking new photos from the watched folders"
        )

    def _show_watching(self) -> None:
        """The pause button only while folders are watched, naming them."""
        folders = self.watched.folders
        self.pause_watching.setVisible(bool(folders))
        self.pause_watching.setStatusTip("Watching " + ", ".join(str(f) for f in folders))

    def _show_api(self, status: ApiStatus) -> None:
        self.api_state.setText(status.text)
        self.api_state.setToolTip(status.details)
        for command in NEEDS_THE_API:
            action = self.menu_actions[command]
            action.setEnabled(status.url is not None)
            action.setStatusTip(
                command.value.tip if status.url else f"Needs the API, which is off — {status.cause}"
            )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Each time the toolbar lays itself out, the window becomes no narrower than it, so
        the credits and the API state are never pushed into its overflow menu (their texts
        are kept short, so that never makes the window wider than a screen)."""
        if watched is self.toolbar and event.type() == QEvent.Type.LayoutRequest:
            self.setMinimumWidth(self.toolbar.sizeHint().width())
        return super().eventFilter(watched, event)

    def open_api_docs(self) -> None:
        self.notices.open_outside(
            QUrl(f"{self.api_url}/docs"),
            "No web browser could be opened for the API's documentation.",
            self.show_message,
        )

    def open_in_browser(self) -> None:
        """The web page of the window's API in the system's browser, signed in as the
        window's person, the owner: with a fresh one-time link, which only the browser (or,
        failing that, the clipboard when asked) ever gets."""
        url = self.api.status.url
        if url is None:  # the action is disabled then
            self.show_message(
                f"The web page is served by the API, which is off: {self.api.status.problem}"
            )
            return
        token = self.core.sign_ins.link(self.core.accounts.owner())
        minutes = LINK_LIFETIME // timedelta(minutes=1)
        self.notices.open_outside(
            QUrl(sign_in_url(url, token)),
            "No web browser could be opened for the web page. Copy the sign-in link and "
            f"paste it into a browser on this computer: it signs in once, within {minutes} "
            "minutes.",
            self.show_message,
            secret=True,
        )

    def grant_credits(self) -> None:
        amount, ok = QInputDialog.getInt(
            self, "Grant credits", "Credits to add:", 100, 1, MAX_GRANT
        )
        if ok:
            self.core.ledger.grant(self.core.accounts.owner(), amount, "granted in the window")
            self._update_status()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Jobs still queued stay queued: the next start (of any bgdesk face) finishes them."""
        if not self._refresh_timer.isActive():  # closed before
            super().closeEvent(event)
            return
        self._refresh_timer.stop()
        self.bridge.job_changed.disconnect(self._on_job_changed)
        self.window_state.setValue("geometry", self.saveGeometry())
        self.window_state.setValue("selected job", self.queue.current_id())
        self.touch_up.close()
        self.window_state.sync()
        self.submissions.close()
        self.watched.close()
        self.queue.close_loader()
        self.preview_loader.close()
        self.bridge.close()
        super().closeEvent(event)
