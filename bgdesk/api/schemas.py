"""The JSON bodies of the API, as the contract (docs/api.md) names their fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PublicStatus = Literal["processing", "completed", "failed"]


class JobAccepted(BaseModel):
    """Answer to an accepted remove-bg request: the job is queued and one credit is spent."""

    jobId: str = Field(examples=["q3chz7iuyjfx6gshmgztoxol"])
    status: PublicStatus = "processing"
    createdAt: str = Field(examples=["2025-01-15T10:30:00Z"])
    estimatedCompletionTime: str = Field(examples=["1-3 seconds"])


class JobStatus(BaseModel):
    """A job as its owner sees it; completedAt and outputUrl or errorMessage once it ended."""

    jobId: str
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
        "background) in the bgdesk window since; outputUrl serves the edited cutout.",
    )


class JobPage(BaseModel):
    """One page of the account's jobs, newest first."""

    jobs: list[JobStatus]
    total: int
    limit: int
    offset: int


class AccountInfo(BaseModel):
    """The calling key's account."""

    name: str
    status: Literal["active", "suspended"]
    credits: int
    webhookSecret: str = Field(description="Key of the HMAC-SHA256 webhook signatures.")


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
