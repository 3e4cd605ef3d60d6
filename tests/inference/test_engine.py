"""The real engine with the real default model on real photos."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bgdesk.errors import InvalidOption, ModelUnavailable
from bgdesk.inference.assess import SECOND_OPINION
from bgdesk.inference.catalog import CATALOG, Plan
from bgdesk.inference.decode import Decoded, Limits
from bgdesk.inference.engine import CORES, Cutout, Engine, Prediction
from bgdesk.inference.models import ModelStore
from bgdesk.request.options import OutputOptions, parse_color
from tests.conftest import decode, photo
from tests.tiny_models import tiny_model

FACE = (slice(100, 180), slice(180, 260))  # rows, columns of astronaut's face
SKY = (slice(0, 60), slice(430, 512))  # the empty top-right corner


@pytest.fixture(scope="module")
def engine(models_dir: Path) -> Engine:
    return Engine(ModelStore(models_dir), Limits(64 << 20, 64))


@pytest.mark.slow
def test_astronaut_person_is_opaque_and_background_transparent(engine: Engine) -> None:
    cutout = engine.remove_background(photo("astronaut"), OutputOptions())
    image = decode(cutout.data)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (512, 512))
    alpha = np.asarray(image)[..., 3]
    assert alpha[FACE].mean() > 240
    assert alpha[SKY].mean() < 10
    transparent = np.asarray(image)[alpha == 0]
    assert not transparent[:, :3].any(), "fully transparent pixels carry no colour"


@pytest.mark.slow
def test_jpeg_on_a_background_colour(engine: Engine) -> None:
    options = OutputOptions(format="jpg", bg_color=parse_color("#0000ff"))
    image = decode(engine.remove_background(photo("astronaut"), options).data)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    red, green, blue = np.asarray(image)[SKY].reshape(-1, 3).mean(axis=0)
    assert blue > 200 and red < 40 and green < 40


@pytest.mark.slow
def test_webp_keeps_transparency(engine: Engine) -> None:
    image = decode(engine.remove_background(photo("astronaut"), OutputOptions("webp")).data)
    assert image.format == "WEBP" and image.mode == "RGBA"
    assert np.asarray(image)[..., 3][SKY].mean() < 20


@pytest.mark.slow
def test_mask_only(engine: Engine) -> None:
    image = decode(engine.remove_background(photo("astronaut"), OutputOptions(mask_only=True)).data)
    assert image.mode == "L"
    assert np.asarray(image)[FACE].mean() > 240 and np.asarray(image)[SKY].mean() < 10
    for fmt in ("webp", "jpg"):
        other = engine.remove_background(photo("coffee"), OutputOptions(fmt, mask_only=True))
        assert decode(other.data).format == {"webp": "WEBP", "jpg": "JPEG"}[fmt]


@pytest.mark.slow
def test_crop_to_the_subject_with_a_margin(engine: Engine) -> None:
    whole = decode(engine.remove_background(photo("coffee"), OutputOptions()).data)
    tight_cutout = engine.remove_background(photo("coffee"), OutputOptions(crop=True))
    tight = decode(tight_cutout.data)
    assert (tight_cutout.width, tight_cutout.height) == tight.size
    roomy = decode(
        engine.remove_background(photo("coffee"), OutputOptions(crop=True, crop_margin=10)).data
    )
    assert tight.width < whole.width or tight.height < whole.height
    assert roomy.width <= tight.width + 20 and roomy.height <= tight.height + 20
    assert roomy.width > tight.width or roomy.height > tight.height


@pytest.mark.slow
def test_exif_rotated_photo_comes_out_upright(engine: Engine) -> None:
    upright = Image.open(io.BytesIO(photo("coffee")))
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 90° counter-clockwise to display"
    buffer = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_270).save(
        buffer, "JPEG", quality=95, exif=exif.tobytes()
    )
    rotated = decode(engine.remove_background(buffer.getvalue(), OutputOptions()).data)
    straight = decode(engine.remove_background(photo("coffee"), OutputOptions()).data)
    assert rotated.size == straight.size == (600, 400)
    alpha_gap = np.abs(np.asarray(rotated, float)[..., 3] - np.asarray(straight, float)[..., 3])
    assert alpha_gap.mean() < 12


@pytest.mark.slow
def test_cmyk_jpeg_gives_a_cutout(engine: Engine) -> None:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(photo("astronaut"))).convert("CMYK").save(buffer, "JPEG")
    image = decode(engine.remove_background(buffer.getvalue(), OutputOptions()).data)
    assert image.mode == "RGBA" and np.asarray(image)[..., 3][FACE].mean() > 240


def test_unknown_options_are_refused() -> None:
    with pytest.raises(InvalidOption):
        OutputOptions.from_mapping({"format": "gif"})
    with pytest.raises(InvalidOption):
        OutputOptions.from_mapping({"bg_color": "not-a-colour"})
    with pytest.raises(InvalidOption):
        OutputOptions.from_mapping({"colour": "red"})
    assert OutputOptions.from_mapping({"format": "JPEG", "bg_color": "ffffff"}).format == "jpg"


def test_missing_model_says_what_to_do(tmp_path: Path) -> None:
    engine = Engine(ModelStore(tmp_path), Limits(64 << 20, 64))
    with pytest.raises(ModelUnavailable, match="bgdesk models pull u2netp"):
        engine.remove_background(photo("astronaut"), OutputOptions())


@pytest.mark.slow
def test_edges_lose_the_old_backgrounds_colour_unless_asked_not_to(engine: Engine) -> None:
    """The cat laid over a green screen (by its own cutout's alpha): the half-transparent edge
    pixels of its new cutout are no longer green, and the opaque ones are untouched."""
    cat = Image.open(io.BytesIO(photo("chelsea"))).convert("RGB")
    mask = decode(engine.remove_background(photo("chelsea"), OutputOptions(mask_only=True)).data)
    screen = Image.new("RGB", cat.size, (0, 255, 0))
    screen.paste(cat, mask=mask.convert("L"))
    buffer = io.BytesIO()
    screen.save(buffer, "PNG")
    cleaned, plain = (
        np.asarray(decode(engine.remove_background(buffer.getvalue(), options).data))
        for options in (OutputOptions(), OutputOptions(decontaminate=False))
    )
    alpha = cleaned[..., 3]
    assert np.array_equal(alpha, plain[..., 3]), "the same mask either way"
    soft = (alpha > 0) & (alpha < 255)
    assert soft.sum() > 1000

    def green_excess(pixels: np.ndarray) -> float:
        rgb = pixels[soft][:, :3].astype(np.float32)
        return float((rgb[:, 1] - (rgb[:, 0] + rgb[:, 2]) / 2).mean())

    assert green_excess(cleaned) < 0.5 * green_excess(plain), (
        green_excess(cleaned),
        green_excess(plain),
    )
    opaque = alpha == 255
    assert np.array_equal(cleaned[opaque], plain[opaque])


@pytest.mark.slow
def test_a_second_model_is_asked_only_where_the_first_is_unsure(
    models_dir: Path, tmp_path: Path
) -> None:
    """u2netp with a stand-in for u2net (a tiny model of its shapes): the lawn, which u2netp
    is unsure of, goes to the second model; the astronaut does not."""
    (tmp_path / "u2netp.onnx").symlink_to(models_dir / "u2netp.onnx")
    (tmp_path / "u2net.onnx").write_bytes(tiny_model(CATALOG["u2net"]))
    engine = Engine(ModelStore(tmp_path), Limits(64 << 20, 64), default_model="best")
    assert engine.plan_for(OutputOptions()) == Plan("u2netp", second_opinion="u2net")
    sure = engine.remove_background(photo("astronaut", (320, 320)), OutputOptions())
    unsure = engine.remove_background(photo("grass", (320, 240)), OutputOptions())
    assert sure.model == "u2netp" and unsure.model == "u2net"
    fast = engine.remove_background(photo("grass", (320, 240)), OutputOptions(quality="fast"))
    assert fast.model == "u2netp" and fast.confidence is not None
    assert fast.confidence < SECOND_OPINION


@pytest.mark.slow
def test_cutouts_side_by_side_share_the_cores_and_match_one_made_alone(
    models_dir: Path,
) -> None:
    engine = Engine(ModelStore(models_dir), Limits(64 << 20, 64), "u2netp")
    alone = np.asarray(decode(engine.remove_background(photo("coffee"), OutputOptions()).data))
    assert engine.width() == CORES
    widths: list[int] = []
    both_inside = threading.Barrier(2, timeout=60)
    run_model = engine.predict

    def predict_beside_another(image: Decoded, model: str) -> Prediction:
        both_inside.wait()  # neither runs its model until both are under way
        widths.append(engine.width())
        return run_model(image, model)

    engine.predict = predict_beside_another  # type: ignore[method-assign]
    with ThreadPoolExecutor(2) as pool:
        pair = list(
            pool.map(
                lambda name: engine.remove_background(photo(name), OutputOptions()),
                ["coffee", "coffee"],
            )
        )
    assert widths == [max(1, CORES // 2)] * 2
    for cutout in pair:  # one thread or all of them: the same cutout, to rounding
        beside = np.asarray(decode(cutout.data)).astype(int)
        assert np.abs(beside - alone).max() <= 1
    assert engine.width() == CORES


@pytest.mark.slow
def test_large_photos_are_cut_out_one_after_another(models_dir: Path) -> None:
    """Two photos over the memory budget together wait for one another; small ones do not."""
    engine = Engine(ModelStore(models_dir), Limits(64 << 20, 64), "u2netp")
    small, large = _drawn_jpeg(300, 200), _drawn_jpeg(3000, 2000)
    need = [
        engine._footprint(decode(picture).size, OutputOptions(), None).total
        for picture in (small, large)
    ]
    engine.memory_budget = need[0] + need[1] - 1  # room for two small ones, not two large
    steps: list[str] = []
    make = engine._cutout
    meet = threading.Barrier(2, timeout=60)  # small photos: both must get in at once
    holding = threading.Event()  # a large photo stays in until the other is seen waiting

    def recorded(data: bytes, *rest: object) -> Cutout:
        steps.append("in")
        if data is small:
            meet.wait()
        else:
            assert holding.wait(60)
        try:
            return make(data, *rest)  # type: ignore[arg-type]
        finally:
            steps.append("out")

    engine._cutout = recorded  # type: ignore[method-assign, assignment]

    def cut_out_two(picture: bytes) -> list[str]:
        steps.clear()
        holding.clear()
        with ThreadPoolExecutor(2) as pool:
            pair = [pool.submit(engine.remove_background, picture, OutputOptions()) for _ in "ab"]
            if picture is large:
                deadline = time.monotonic() + 60
                while engine._under_way < 2 or not steps:  # both asked, one let in
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                assert steps == ["in"], "the second large photo waits for room"
                holding.set()
            for cutout in pair:
                assert decode(cutout.result().data).size == decode(picture).size
        return steps

    assert cut_out_two(small) == ["in", "in", "out", "out"]
    assert cut_out_two(large) == ["in", "out", "in", "out"]


def _drawn_jpeg(width: int, height: int) -> bytes:
    picture = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(picture).ellipse(
        (width // 4, height // 4, width * 3 // 4, height * 3 // 4), "red"
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    return buffer.getvalue()


def test_cutouts_are_let_into_the_memory_budget_in_the_order_they_asked(tmp_path: Path) -> None:
    """A large cutout waiting for room is not overtaken by small ones that would fit."""
    engine = Engine(ModelStore(tmp_path), Limits(64 << 20, 64), "u2netp")
    engine.memory_budget = 10
    let_in: list[str] = []
    leave = {name: threading.Event() for name in ("held", "large", "small")}

    def cut_out(name: str, memory: int) -> None:
        with engine._room_for(memory):
            let_in.append(name)
            assert leave[name].wait(60)

    def asked(count: int) -> None:  # `count` cutouts have taken their turn
        deadline = time.monotonic() + 60
        while engine._next_turn < count:
            assert time.monotonic() < deadline
            time.sleep(0.01)

    with ThreadPoolExecutor(3) as pool:
        done = [pool.submit(cut_out, "held", 8)]
        asked(1)
        done.append(pool.submit(cut_out, "large", 8))
        asked(2)
        done.append(pool.submit(cut_out, "small", 1))
        asked(3)
        with engine._room:  # the small one has looked for room and is waiting its turn
            assert let_in == ["held"]
        for event in leave.values():
            event.set()
        for future in done:
            future.result()
    assert let_in == ["held", "large", "small"]
