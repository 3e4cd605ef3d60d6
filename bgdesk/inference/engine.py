"""The cutout engine: bytes in, cutout bytes out, on this machine.

One ONNX Runtime session per model and width (threads), created on first use and reused by
every job. The model sees a small copy of the image; the mask it predicts is scaled back up
and applied to the full-resolution pixels, and the result is encoded with the fast PNG writer.

Cutouts made side by side share the cores: a cutout alone runs its model on all of them, two
at once on half each. On two cores two cutouts on one thread each make 20 small photos in
0.90 of the time one after the other on two threads take: no threads waiting on one another
inside the model, and one cutout's decoding and encoding overlap the other's inference.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from PIL import Image

from bgdesk.errors import DeviceUnavailable, InvalidRequest, ModelUnavailable
from bgdesk.inference.assess import SECOND_OPINION, agreement, confidence, subject_warning
from bgdesk.inference.catalog import DEFAULT_MODEL, ModelSpec, Plan
from bgdesk.inference.compose import compose
from bgdesk.inference.decode import (
    Decoded,
    ImageInfo,
    Limits,
    decode_image,
    image_size,
    inspect_image,
)
from bgdesk.inference.devices import AUTO, CPU, DeviceChoice, choose, not_loaded, offered
from bgdesk.inference.edges import EdgeColours
from bgdesk.inference.footprint import Footprint, check_fits, footprint
from bgdesk.inference.marks import Mark, MarkLayer, box_models
from bgdesk.inference.memory import release, shared_arena, trim_heap
from bgdesk.inference.model_input import model_input, view_of
from bgdesk.inference.models import ModelStore
from bgdesk.inference.retouch import full_mask
from bgdesk.request.options import OutputOptions
from bgdesk.request.presets import Preset

log = logging.getLogger(__name__)

# Counted here rather than left to ONNX Runtime (intra_op_num_threads 0): with its own
# default, a cutout made beside a lone one's session ran 3 % slower over 20 photos.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# What the cutouts under way may take between them, unless one alone takes more (see
# footprint.py). Five 12 MP photos two at a time: 1.39 s and 911 MiB at peak; one after
# another, 1.93 s and 632 MiB. Two photos of 24 MP wait for one another.
MEMORY_BUDGET = 2 << 30


@dataclass(frozen=True)
class Cutout:
    """An encoded cutout and what a caller needs to store or serve it."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    warning: str | None = None  # set when the cutout has no clear subject
    confidence: float | None = None  # 0..1, see inference/assess.py
    model: str | None = None  # the model that made it
    mask: bytes | None = None  # the model's own mask as PNG, at its size, to edit it later by


@dataclass(frozen=True)
class Retouch:
    """What a cutout made before is made again from, with a person's marks (strokes, clicks,
    boxes): the model's mask as it came (at the model's size), which model, how sure it was."""

    mask: bytes  # PNG
    model: str
    confidence: float
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """A model's mask of an image, at the model's own resolution, and how sure it was."""

    model: str
    mask: Image.Image
    confidence: float
    view: Image.Image  # the photo as the model saw it: at its input size, RGB


class CutoutEngine(Protocol):
    """What the job service needs from an engine; tests may pass a small fake."""

    default_model: str
    decontaminate: bool
    device: str
    memory_budget: int

    def configure(
        self, default_model: str, device: str, decontaminate: bool, memory_budget: int
    ) -> None: ...

    def inspect(self, data: bytes) -> ImageInfo: ...

    def check_memory(
        self, image: ImageInfo, options: OutputOptions, background: ImageInfo | None = None
    ) -> None: ...

    def device_in_use(self) -> DeviceChoice: ...

    def check_device(self) -> DeviceChoice: ...

    def check_model(self, options: OutputOptions) -> None: ...

    def plan_for(self, options: OutputOptions) -> Plan: ...

    def box_model(self, model: str | None = None) -> str: ...

    def stronger_model(self, model: str | None) -> str | None: ...

    def mask_of(self, picture: Image.Image, model: str | None = None) -> np.ndarray: ...
    def release_memory(self) -> None: ...

    def remove_background(
        self,
        data: bytes,
        options: OutputOptions,
        background: bytes | None = None,
        retouch: Retouch | None = None,
    ) -> Cutout: ...


class Engine:
    """Removes backgrounds with ONNX models from a `ModelStore`."""

    def __init__(
        self,
        models: ModelStore,
        limits: Limits,
        default_model: str = DEFAULT_MODEL,
        threads: int = 0,
        decontaminate: bool = True,
        device: str = AUTO,
        device_index: int = 0,
        memory_budget: int = MEMORY_BUDGET,
    ) -> None:
        self.models = models
        self.limits = limits
        self.default_model = default_model  # a model's name or a preset (`best`, `fast`)
        self.decontaminate = decontaminate
        self._device = device  # the setting: `auto` or a device's name
        self.device_index = device_index  # which of several GPUs
        self.providers = offered()
        self._threads = threads  # 0: by how many cutouts are under way
        self._room = threading.Condition()
        self._under_way = 0
        self.memory_budget = memory_budget  # bytes, for the cutouts under way together
        self._memory_at_work = 0  # bytes the cutouts under way are estimated to take
        self._next_turn = self._turn = 0  # the order cutouts asked for room in, and whose turn
        self._sessions: dict[tuple[str, int], ort.InferenceSession] = {}
        self._used: dict[str, DeviceChoice] = {}  # by model: where its session runs
        self._sessions_lock = threading.Lock()
        self._releasing = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=os.cpu_count() or 2, thread_name_prefix="bgdesk-encode"
        )

    def inspect(self, data: bytes) -> ImageInfo:
        """Check that `data` is an acceptable image, without running the model."""
        return inspect_image(data, self.limits)

    def check_memory(
        self, image: ImageInfo, options: OutputOptions, background: ImageInfo | None = None
    ) -> None:
        """Raise `ImageTooLarge` when cutting out `image` as `options` ask (over the picture
        `background`) would take more memory than the budget allows all cutouts together."""
        need = self._footprint(image.size, options, background.size if background else None)
        check_fits(need, options, self.memory_budget)

    def _footprint(
        self,
        size: tuple[int, int],
        options: OutputOptions,
        backdrop: tuple[int, int] | None,
        retouch: Retouch | None = None,
    ) -> Footprint:
        plan = self.plan_for(options)
        models: tuple[str | None, ...] = (plan.model, plan.second_opinion)
        if retouch is not None:  # only the models its boxes ask to look again
            models = tuple(self.box_model(name) for name in box_models(retouch.marks))
        side = max((self.models.spec(m).input_size for m in models if m), default=0)
        return footprint(size, options, side, backdrop)

    @property
    def device(self) -> str:
        return self._device

    @device.setter
    def device(self, wanted: str) -> None:
        """Change the device; models are loaded again on it as they are next used."""
        with self._sessions_lock:
            if wanted != self._device:
                self._device = wanted
                self._sessions.clear()
                self._used.clear()

    def configure(
        self, default_model: str, device: str, decontaminate: bool, memory_budget: int
    ) -> None:
        """Take in changed choices; a new device has models loaded again on it as they are
        next used."""
        self.default_model = default_model
        self.decontaminate = decontaminate
        self.memory_budget = memory_budget
        self.device = device

    def device_in_use(self) -> DeviceChoice:
        """Where models run (the last one loaded, or where the next will), and why; raises
        `DeviceUnavailable` when the device asked for cannot be used."""
        with self._sessions_lock:
            used = list(self._used.values())
        return used[-1] if used else choose(self._device, self.providers)

    def check_model(self, options: OutputOptions) -> None:
        """Raise unless the model `options` ask for (or the default) is known and installed,
        and the device the settings name is there."""
        self.models.require(self.plan_for(options).model)
        choose(self._device, self.providers)

    def check_device(self) -> DeviceChoice:
        """Where models run and why; a device named in the settings is tried with the
        default model, so one that cannot run it is known now, not at the first job."""
        choose(self._device, self.providers)
        if self._device not in (AUTO, CPU.name):
            self.session(self.plan_for(OutputOptions()).model, self.width())
        return self.device_in_use()

    def plan_for(self, options: OutputOptions) -> Plan:
        """The model a request names, else its quality preset's plan, else the setting's."""
        return self.models.resolve(options.model or options.quality or self.default_model)

    def remove_background(
        self,
        data: bytes,
        options: OutputOptions,
        background: bytes | None = None,
        retouch: Retouch | None = None,
    ) -> Cutout:
        """The cutout of the photo `data`, over the picture `background` when the options ask
        for one; from `retouch`'s mask and strokes instead of the model when given."""
        if options.bg_image and background is None:
            raise InvalidRequest("The background picture is missing; send it with the photo.")
        backdrop = image_size(background, self.limits) if options.bg_image and background else None
        need = self._footprint(image_size(data, self.limits), options, backdrop, retouch)
        check_fits(need, options, self.memory_budget)  # the budget may have shrunk since
        with self._at_work(), self._room_for(need.total):
            return self._cutout(data, options, background, retouch)

    def _cutout(
        self,
        data: bytes,
        options: OutputOptions,
        background: bytes | None,
        retouch: Retouch | None,
    ) -> Cutout:
        image = decode_image(data, self.limits)
        backdrop = (
            decode_image(background, self.limits).rgb if options.bg_image and background else None
        )
        marked: Image.Image | None = None
        if retouch is None:
            prediction, agreed = self.predict_with(image, self.plan_for(options))
        else:
            stored = Image.open(io.BytesIO(retouch.mask)).convert("L")
            view = view_of(image, stored.width)
            prediction = Prediction(retouch.model, stored, retouch.confidence, view)
            agreed = 1.0
            if retouch.marks:
                marked = self.marked_mask(image, prediction.mask, retouch.marks)
        small = prediction.mask
        if marked is not None:
            small = marked.resize(small.size, Image.Resampling.BOX)
        clean = self.decontaminate if options.decontaminate is None else options.decontaminate
        # The edge estimate needs only the model's own view; it is made while the mask is
        # scaled up to the photo.
        edges = (
            self._pool.submit(EdgeColours, prediction.view, small, image.size)
            if clean and not options.mask_only
            else None
        )
        mask = marked or full_mask(prediction.mask, image.size)
        encoded, size = compose(
            image, mask, options, self._pool, edges.result() if edges else None, backdrop
        )
        return Cutout(
            encoded,
            options.media_type,
            options.extension,
            *size,
            warning=subject_warning(prediction.confidence, np.asarray(prediction.mask), agreed),
            confidence=prediction.confidence,
            model=prediction.model,
            mask=_png(prediction.mask),
        )

    def marked_mask(
        self, image: Decoded, model_mask: Image.Image, marks: tuple[Mark, ...]
    ) -> Image.Image:
        """The model's mask (at its size) scaled up to `image` with `marks` laid on it."""
        pixels = np.array(full_mask(model_mask, image.size))
        layer = MarkLayer(np.asarray(image.rgb), self.mask_of)
        layer.lay_all(pixels, marks)
        return Image.fromarray(pixels)

    def mask_of(self, picture: Image.Image, model: str | None = None) -> np.ndarray:
        """What `model` keeps of `picture`, as a mask at its size: what a box asks the model
        to look at again."""
        prediction = self.predict(
            Decoded(picture.convert("RGB"), None, None), self.box_model(model)
        )
        return np.asarray(full_mask(prediction.mask, picture.size))

    def box_model(self, model: str | None = None) -> str:
        """The model a box asks for when it is installed, else the fastest one installed."""
        if model and model in self.models.installed():
            return model
        return self.models.resolve(Preset.FAST).model

    def stronger_model(self, model: str | None) -> str | None:
        """An installed model measured to fail less often than `model`, or None."""
        return self.models.stronger_than(model)

    def predict_with(self, image: Decoded, plan: Plan) -> tuple[Prediction, float]:
        """The plan's prediction for `image` and how far its two models agreed (1.0 when
        only one was asked): the second model's when the first was unsure."""
        first = self.predict(image, plan.model)
        if plan.second_opinion is None or first.confidence >= SECOND_OPINION:
            return first, 1.0
        second = self.predict(image, plan.second_opinion)
        earlier = np.asarray(first.mask.resize(second.mask.size, Image.Resampling.BILINEAR))
        return second, agreement(earlier, np.asarray(second.mask))

    def predict(self, image: Decoded, model: str) -> Prediction:
        """What `model` makes of `image`: its mask at the model's resolution, and how sure
        it is."""
        spec = self.models.spec(model)
        width = self.width()
        session = self.session(model, width)
        view = view_of(image, spec.input_size)
        tensor = model_input(view, spec)
        try:
            output = _run(session, tensor)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            output = _run(self._off_the_accelerator(model, width, session, exc), tensor)
        probabilities = _probabilities(output, spec)
        mask = _to_mask(probabilities, spec.levels)
        return Prediction(model, mask, confidence(probabilities), view)

    def release_memory(self) -> None:
        """Give back the memory cutouts took, unless one is under way: the models' sessions
        are closed (opened again when next needed, in a fraction of a second), the arena
        they shared is shrunk and the C heap trimmed. For a window between batches, where
        hundreds of megabytes matter more than the next photo's first second."""
        with self._releasing:  # a second caller returns once the first has given it back
            self._release()

    def _release(self) -> None:
        with self._room:
            if self._under_way:
                return
            with self._sessions_lock:
                sessions, self._sessions = self._sessions, {}
        try:
            if sessions:  # the smallest model's run asks the arena to shrink: the cheapest
                (model, _), session = min(
                    sessions.items(), key=lambda item: self.models.spec(item[0][0]).size_mb
                )
                sessions.clear()
                release(session, self.models.spec(model).input_size)
        except Exception:  # a failed shrink leaves memory held, nothing else
            log.warning("Could not give memory back after the cutouts", exc_info=True)
        finally:
            trim_heap()

    @contextmanager
    def _at_work(self) -> Iterator[None]:
        """Count a cutout under way, waiting for room or made."""
        with self._room:
            self._under_way += 1
        try:
            yield
        finally:
            with self._room:
                self._under_way -= 1

    @contextmanager
    def _room_for(self, memory: int) -> Iterator[None]:
        """Wait until the cutouts under way leave `memory` bytes of the budget: a cutout
        alone always has room, large ones are made one after another. Cutouts are let in in
        the order they asked, so small ones arriving all the time cannot keep a large one
        waiting for ever."""
        with self._room:
            turn = self._next_turn
            self._next_turn += 1
            self._room.wait_for(
                lambda: (
                    self._turn == turn
                    and (
                        not self._memory_at_work
                        or self._memory_at_work + memory <= self.memory_budget
                    )
                )
            )
            self._turn += 1
            self._memory_at_work += memory
            self._room.notify_all()  # the next in turn may fit beside this one
        try:
            yield
        finally:
            with self._room:
                self._memory_at_work -= memory
                self._room.notify_all()

    def width(self) -> int:
        """Threads for the next inference: the setting's, else all the cores this process
        may use for a cutout alone and a share of them for each of several under way."""
        if self._threads:
            return self._threads
        with self._room:
            under_way = self._under_way
        return max(1, CORES // max(1, under_way))

    def session(self, model: str, width: int) -> ort.InferenceSession:
        """The shared session of `model` on `width` threads, created once."""
        with self._sessions_lock:
            session = self._sessions.get((model, width))
            if session is None:
                session = self._sessions[model, width] = self._open_session(model, width)
            return session

    def _open_session(self, model: str, width: int) -> ort.InferenceSession:
        """`model`'s session on the chosen device; under `auto`, on the CPU (saying why) when
        the accelerator will not take it."""
        path = self.models.require(model)
        choice = choose(self._device, self.providers)
        try:
            session = self._session_on(path, choice, width)
            problem = not_loaded(choice, session.get_providers())
        except Exception as exc:  # onnxruntime raises its own untyped errors
            if choice.device is CPU:
                raise ModelUnavailable(
                    f"Model {model} at {path} could not be loaded ({exc}). "
                    f"Run `bgdesk models verify`, then `bgdesk models pull {model} --force`."
                ) from exc
            problem = f"{choice.device.label} could not load model {model} ({exc})"
        if problem is None:
            self._used[model] = choice
            return session
        if self._device != AUTO:
            raise DeviceUnavailable(
                f"{problem}. device={self._device} never runs on the CPU instead."
            )
        self._used[model] = DeviceChoice(CPU, f"auto: {problem}; on the CPU instead")
        return self._session_on(path, self._used[model], width)

    def _off_the_accelerator(
        self, model: str, width: int, failed: ort.InferenceSession, error: Exception
    ) -> ort.InferenceSession:
        """After `model` failed on an accelerator: under `auto`, its session on the CPU from
        now on (saying why); for a device named, `DeviceUnavailable`. A failure on the CPU
        is raised as it is."""
        used = self._used.get(model)
        if used is None or used.device is CPU:
            raise error
        problem = f"{used.device.label} failed running model {model} ({error})"
        if self._device != AUTO:
            raise DeviceUnavailable(
                f"{problem}. device={self._device} never runs on the CPU instead."
            ) from error
        choice = DeviceChoice(CPU, f"auto: {problem}; on the CPU instead")
        session = self._session_on(self.models.require(model), choice, width)
        with self._sessions_lock:
            if self._sessions.get((model, width)) is failed:
                self._sessions[model, width], self._used[model] = session, choice
        return session

    def _session_on(self, path: Path, choice: DeviceChoice, width: int) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Memory patterns pre-plan one block for every activation: about 200 MiB more
        # resident memory for no measurable speed on these models.
        options.enable_mem_pattern = False
        options.intra_op_num_threads = width
        shared_arena(options)
        # Threads that spin while waiting for work take the cores from a cutout beside them
        # on a session of its own (6 % slower over 20 photos); a lone cutout loses nothing.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = [choice.device.provider]
        provider_options = [choice.device.options(self.device_index)]
        if choice.device is not CPU:  # for the operations the accelerator has no kernel for
            providers.append(CPU.provider)
            provider_options.append({})
        return ort.InferenceSession(
            str(path), options, providers=providers, provider_options=provider_options
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _run(session: ort.InferenceSession, tensor: np.ndarray) -> np.ndarray:
    """The model's first output for the one image in `tensor`."""
    input_name = session.get_inputs()[0].name
    output_name = session.get_outputs()[0].name
    output: np.ndarray = session.run([output_name], {input_name: tensor})[0][0, 0]
    return output


def _probabilities(prediction: np.ndarray, spec: ModelSpec) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-prediction)) if spec.sigmoid else prediction


def _to_mask(prediction: np.ndarray, levels: tuple[float, float]) -> Image.Image:
    """The prediction stretched to the full 0..255 range, below and above `levels` taken as
    fully out and fully in: the cutout's alpha."""
    low, high = float(prediction.min()), float(prediction.max())
    stretched = (prediction - low) * (1.0 / max(high - low, 1e-6))
    scaled = (stretched - levels[0]) * (255.0 / (levels[1] - levels[0]))
    return Image.fromarray(np.clip(scaled + 0.5, 0, 255).astype(np.uint8))
