"""The bodies of the API, as the contract (docs/api.md) names their fields: the remove-bg form
(its output options made from their declarations) and the JSON answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, create_model

from bgdesk.inference.decode import input_names_text
from bgdesk.inference.marks import MAX_MARKS, Mark, mark_from_dict
from bgdesk.inference.strokes import MAX_POINTS
from bgdesk.request.option_fields import Face, Kind, OptionField, choices_text, said
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import AccountStatus

PublicStatus = Literal["processing", "completed", "failed"]
FORM_TYPES: dict[Kind, Any] = {
    Kind.YES_NO: bool,
    Kind.YES_NO_UNSET: bool | None,
    Kind.COLOUR: str | None,
    Kind.PICTURE: UploadFile | None,
}


class Submission(BaseModel):
    """What a remove-bg form sends besides its output options: the photo, or where to fetch
    it, and where to tell of the job's end."""

    image_file: UploadFile | None = Field(
        None, description=f"A {input_names_text()} image. Send this or image_url."
    )
    image_url: str | None = Field(
        None, description="http(s) URL of an image for the server to fetch."
    )
    webhook_url: str | None = Field(
        None, description="http(s) URL that receives a signed POST when the job ends."
    )

    def uploaded(self, name: str) -> bytes | None:
        """What the file field `name` holds; None when it was left empty."""
        upload: UploadFile | None = getattr(self, name)
        return upload.file.read() if upload is not None and _given(upload) else None

    def output_options(self) -> OutputOptions:
        """The output options the form asks for; a picture's is whether its file came."""
        values = {}
        for option in api_options():
            value = getattr(self, option.api_name)
            values[option.name] = _given(value) if option.kind is Kind.PICTURE else value
        return OutputOptions.from_mapping(values)


def _given(upload: UploadFile | None) -> bool:
    return upload is not None and bool(upload.filename or upload.size)


def api_options() -> list[OptionField]:
    return [option for option in OutputOptions.option_fields() if Face.API in option.faces]


def submission_form() -> type[Submission]:
    """The remove-bg form: Submission and a field for each output option the API offers,
    with its type, default, bounds, choices and description as the option declares them."""
    options = api_options()
    names = {option.name: option.api_name for option in options}
    fields: dict[str, Any] = {option.api_name: _form_field(option, names) for option in options}
    return create_model("RemoveBackgroundForm", __base__=Submission, **fields)


def _form_field(option: OptionField, names: dict[str, str]) -> tuple[Any, Any]:
    described = _description(option, names)
    if option.kind is Kind.WHOLE:
        return int, Field(option.default, description=described, ge=option.low, le=option.high)
    kind = FORM_TYPES.get(option.kind, str if option.default is not None else str | None)
    default: Any = None if option.kind is Kind.PICTURE else option.default
    listed: dict[str, Any] | None = None
    if option.choices is not None:
        listed = {"enum": list(option.choices())}
    return kind, Field(default, description=described, json_schema_extra=listed)


def _description(option: OptionField, names: dict[str, str]) -> str:
    """The option's words in a sentence, other options named as the form names them."""
    text = said(option.help, lambda name: names[name], names)
    if option.choices is not None:
        text += ": " + choices_text(option)
    text = text[0].upper() + text[1:] + said(option.notes, lambda name: names[name], names)
    if option.default_setting and option.default is None:
        text += f". Default: the setting {option.default_setting}"
    return text + "."


class JobAccepted(BaseModel):
    """Answer to an accepted remove-bg request: the job is queued and one credit is spent."""

    jobId: str = Field(examples=["q3chz7iuyjfx6gshmgztoxol"])
    status: PublicStatus = "processing"
    createdAt: str = Field(examples=["2025-01-15T10:30:00Z"])
    estimatedCompletionTime: str = Field(examples=["1-3 seconds"])


class JobStatus(BaseModel):
    """A job as its owner sees it; completedAt and outputUrl or errorMessage once it ended."""

    jobId: str
    name: str | None = Field(None, description="The photo's file name, or its URL's last part.")
    status: PublicStatus
    createdAt: str
    completedAt: str | None = None
    outputUrl: str | None = Field(None, description="Absolute download URL; needs no header.")
    errorMessage: str | None = None
    warning: str | None = Field(
        None,
        description="Set on a completed job whose cutout has no clear subject (nearly "
        "empty, or the model unsure of much of it): worth a look before it is used.",
    )
    confidence: float | None = Field(
        None, description="Completed: how sure the model was of the cutout, 0 to 1."
    )
    model: str | None = Field(None, description="Completed: the model that made the cutout.")
    edited: bool | None = Field(
        None,
        description="Completed: whether a person touched the cutout up (or changed its "
        "background) since, in the bgdesk window or through the edits route; outputUrl "
        "serves the edited cutout.",
    )


Coordinate = Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]


class ClickMark(BaseModel):
    """A click: `keep` true says the point belongs to the subject, false that it does not."""

    kind: Literal["click"]
    x: Coordinate = Field(description="In the photo's pixels, from its left edge.")
    y: Coordinate = Field(description="In the photo's pixels, from its top edge.")
    keep: bool = True


class BoxMark(BaseModel):
    """A box around the subject: nothing outside it is kept, and the model looks again
    inside it."""

    kind: Literal["box"]
    left: Coordinate
    top: Coordinate
    right: Coordinate
    bottom: Coordinate
    model: str | None = Field(None, description="The model that looks inside (default: fast).")


class StrokeMark(BaseModel):
    """A brush stroke: `restore` true paints the subject back, false erases it."""

    kind: Literal["stroke"]
    restore: bool
    size: float = Field(gt=0, le=10_000, description="The brush's diameter, in pixels.")
    hardness: float = Field(
        0.8, ge=0, le=1, description="The share of the radius at full strength."
    )
    points: list[tuple[Coordinate, Coordinate]] = Field(min_length=1, max_length=MAX_POINTS)


class EditRequest(BaseModel):
    """A fix of a finished job's cutout, made again from its photo; nothing is charged."""

    marks: list[Annotated[ClickMark | BoxMark | StrokeMark, Field(discriminator="kind")]] | None = (
        Field(
            None,
            max_length=MAX_MARKS,
            description="Clicks, boxes and strokes, laid in order on the model's mask. They "
            "replace the job's marks (an empty list: back to the model's mask), or follow them "
            "with `append`. Left out: the marks stay as they are.",
        )
    )
    append: bool = Field(False, description="Lay `marks` after those the job has.")
    background: dict[str, str | int | None] | None = Field(
        None,
        description="bg_color and/or bg_blur, as in remove-bg; {} is transparent. Left out: "
        "the background stays as it is.",
        examples=[{"bg_color": "#ffffff"}],
    )

    def mark_list(self) -> list[Mark] | None:
        if self.marks is None:
            return None
        return [mark_from_dict(mark.model_dump()) for mark in self.marks]


class JobPage(BaseModel):
    """One page of the account's jobs, newest first."""

    jobs: list[JobStatus]
    total: int
    limit: int
    offset: int


class AccountInfo(BaseModel):
    """The calling key's account."""

    name: str
    status: AccountStatus
    credits: int
    webhookSecret: str = Field(description="Key of the HMAC-SHA256 webhook signatures.")


class SessionInfo(BaseModel):
    """Who is signed in to the web page on this browser."""

    account: str
    owner: bool = Field(description="The installation's owner: may manage every account.")
    credits: int
    csrfToken: str = Field(description="Send it as `X-CSRF-Token` with every change.")


class JobDeleted(BaseModel):
    jobId: str
    deleted: bool = True


class SystemInfo(BaseModel):
    """This server, and where its models run."""

    version: str
    runtime: str = Field(description="ONNX Runtime's version and execution providers.")
    deviceSetting: str = Field(description="The device setting: auto, cpu, cuda, ….")
    device: str | None = Field(
        description="Where models run; null when the device named cannot be used."
    )
    deviceReason: str = Field(description="Why that device, or why the one named cannot be used.")
    defaultModel: str | None = Field(description="The model a request naming none gets.")
    installedModels: list[str]
