"""The routes of the REST API; each parses, calls one core method and shapes the answer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from bgdesk.api.deps import AccountDep, CoreDep, PageLimit, PageOffset
from bgdesk.api.errors import error_responses
from bgdesk.api.schemas import (
    AccountInfo,
    EditRequest,
    JobAccepted,
    JobDeleted,
    JobPage,
    JobStatus,
    PublicStatus,
    Submission,
    SystemInfo,
    submission_form,
)
from bgdesk.api.waiting import job_when_ended
from bgdesk.core.job_records import as_utc_text
from bgdesk.core.webhooks import output_path
from bgdesk.errors import InvalidRequest, NotFound
from bgdesk.storage.models import UNFINISHED, AccountStatus, Job, JobSource, JobState

if TYPE_CHECKING:
    SubmissionForm = Submission
else:  # made from the output options' declarations when the API is imported
    SubmissionForm = submission_form()

api = APIRouter(prefix="/api/v1", tags=["jobs"])
MAX_WAIT = 60  # seconds a status request may be held
MAX_ARCHIVED = 200  # cutouts in one ZIP
downloads = APIRouter(tags=["downloads"])


def _public_status(job: Job) -> PublicStatus:
    """The API says `processing` for a job that is queued or running."""
    if job.status in UNFINISHED:
        return "processing"
    return "completed" if job.status == JobState.COMPLETED else "failed"


def _job_status(job: Job, public_url: str) -> JobStatus:
    status = _public_status(job)
    output = (
        public_url + output_path(job)  # from the configuration, never from the request
        if status == "completed" and job.output_deleted_at is None
        else None
    )
    return JobStatus(
        jobId=job.public_id,
        name=job.input_name,
        status=status,
        createdAt=as_utc_text(job.created_at) or "",
        completedAt=as_utc_text(job.completed_at),
        outputUrl=output,
        errorMessage=job.error_message if status == "failed" else None,
        warning=job.warning if status == "completed" else None,
        confidence=round(job.confidence, 3)
        if status == "completed" and job.confidence is not None
        else None,
        model=job.model if status == "completed" else None,
        edited=job.edited if status == "completed" else None,
    )


def _human_range(seconds: float) -> str:
    low, high = max(1, math.floor(seconds * 0.8)), max(2, math.ceil(seconds * 1.5))
    if high < 120:
        return f"{low}-{high} seconds"
    return f"{max(1, low // 60)}-{math.ceil(high / 60)} minutes"


async def _each_field_once(request: Request) -> None:
    """A field sent twice (two image_file parts, say) is refused, not half used."""
    form = await request.form()
    repeated = sorted({name for name in form if len(form.getlist(name)) > 1})
    if repeated:
        raise InvalidRequest(f"Send each field once; {', '.join(repeated)} came more than once.")


@api.post(
    "/remove-bg",
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(400, 401, 402, 403, 408, 429, 503),
    dependencies=[Depends(_each_field_once)],
)
def remove_background(
    request: Request,
    core: CoreDep,
    account: AccountDep,
    form: Annotated[SubmissionForm, Form(media_type="multipart/form-data")],
) -> JobAccepted:
    """Submit an image; one credit is spent and the cutout is made in the background."""
    job = core.intake.submit(
        account,
        JobSource.API,
        form.output_options(),
        upload=form.uploaded("image_file"),
        filename=form.image_file.filename or "" if form.image_file else "",
        url=form.image_url or None,
        webhook_url=form.webhook_url or None,
        background=form.uploaded("bg_image_file"),
    )
    return JobAccepted(
        jobId=job.public_id,
        createdAt=as_utc_text(job.created_at) or "",
        estimatedCompletionTime=_human_range(core.jobs.estimate_seconds(job)),
    )


@api.get(
    "/jobs/{job_id}",
    response_model=JobStatus,
    response_model_exclude_none=True,
    responses=error_responses(401, 403, 404),
)
async def get_job(
    job_id: str,
    request: Request,
    core: CoreDep,
    account: AccountDep,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
) -> JobStatus:
    """Poll a job: processing, then completed with outputUrl or failed with errorMessage.
    With `wait`, the answer is held up to that many seconds while the job is processing,
    and comes as soon as it ends."""
    job = await job_when_ended(core, job_id, account, wait)
    return _job_status(job, core.public_url)


@api.get(
    "/jobs",
    response_model=JobPage,
    response_model_exclude_none=True,
    responses=error_responses(401, 403),
)
def list_jobs(
    request: Request,
    core: CoreDep,
    account: AccountDep,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    search: Annotated[str, Query(max_length=200)] = "",
) -> JobPage:
    """The account's jobs, newest first, a page at a time; with `search`, those whose photo's
    name or error message holds it."""
    jobs = core.jobs.recent(account, limit=limit, offset=offset, search=search)
    return JobPage(
        jobs=[_job_status(job, core.public_url) for job in jobs],
        total=core.jobs.count(account, search),
        limit=limit,
        offset=offset,
    )


@api.get(
    "/archive",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}},
        **error_responses(400, 401, 403, 404, 409),
    },
)
def download_archive(
    core: CoreDep,
    account: AccountDep,
    jobs: Annotated[str, Query(max_length=MAX_ARCHIVED * 64, description="Job ids, by commas.")],
) -> StreamingResponse:
    """Download the cutouts of up to 200 of the account's jobs as one ZIP, each named after
    its photo. 409 names a job without a cutout."""
    public_ids = [part.strip() for part in jobs.split(",") if part.strip()]
    if not 1 <= len(public_ids) <= MAX_ARCHIVED:
        raise InvalidRequest(f"Name 1 to {MAX_ARCHIVED} jobs, separated by commas.")
    return StreamingResponse(
        core.cutouts.archive(public_ids, account),
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="cutouts.zip"',
            "Cache-Control": "private, no-store",
        },
    )


@api.delete(
    "/jobs/{job_id}", response_model=JobDeleted, responses=error_responses(401, 403, 404, 409)
)
def delete_job(job_id: str, core: CoreDep, account: AccountDep) -> JobDeleted:
    """Delete a finished job's output; its outputUrl stops working."""
    return JobDeleted(jobId=core.cutouts.delete(job_id, account).public_id)


@api.post(
    "/jobs/{job_id}/edits",
    response_model=JobStatus,
    response_model_exclude_none=True,
    responses=error_responses(400, 401, 403, 404, 409),
)
def edit_job(job_id: str, edit: EditRequest, core: CoreDep, account: AccountDep) -> JobStatus:
    """Fix a finished job's cutout with clicks, a box and brush strokes, or change its
    background: the cutout is made again from the photo and answered when done (outputUrl
    serves it; `edited` is true). Nothing is charged. 409 when the photo is no longer kept."""
    if edit.background is not None and "bg_image" in edit.background:
        raise InvalidRequest("A background picture cannot be sent here; use bg_color or bg_blur.")
    try:
        marks = edit.mark_list()
    except ValueError as exc:
        raise InvalidRequest(f"Invalid request: marks: {exc}.") from None
    if edit.append and marks is not None:
        marks = [*core.cutouts.marks(job_id, account), *marks]
    job = core.cutouts.edit(job_id, marks, edit.background, account=account)
    return _job_status(job, core.public_url)


@api.get(
    "/account", response_model=AccountInfo, tags=["account"], responses=error_responses(401, 403)
)
def get_account(core: CoreDep, account: AccountDep) -> AccountInfo:
    """The calling key's account: its credit balance and status."""
    return AccountInfo(
        name=account.name,
        status=AccountStatus(account.status),
        credits=core.ledger.balance(account),
        webhookSecret=account.webhook_secret,
    )


@api.get(
    "/system", response_model=SystemInfo, tags=["account"], responses=error_responses(401, 403)
)
def get_system(core: CoreDep, account: AccountDep) -> SystemInfo:
    """This server: its version and where its models run (the device, and why that one)."""
    found = core.system()
    return SystemInfo(
        version=found.version,
        runtime=found.runtime,
        deviceSetting=found.device_setting,
        device=found.device,
        deviceReason=found.device_reason,
        defaultModel=found.default_model,
        installedModels=found.installed_models,
    )


@downloads.get(
    "/outputs/{token}/{filename}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "image/webp": {}, "image/jpeg": {}}},
        **error_responses(404),
    },
)
def download_output(token: str, filename: str, core: CoreDep) -> FileResponse:
    """Download a cutout. The token in the URL is the credential; no header is needed."""
    job = core.jobs.by_output_token(token)
    path = Path(job.output_path)
    if filename != Path(output_path(job)).name or not path.is_file():
        raise NotFound("No output at this address.")
    return FileResponse(path, filename=filename, headers={"Cache-Control": "private"})
