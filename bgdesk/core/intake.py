"""Turning an API-style request (a file or a URL, options, a webhook) into a queued job."""

from __future__ import annotations

from bgdesk.core.fetch import ImageFetcher, check_webhook_url
from bgdesk.core.jobs import JobService
from bgdesk.errors import InvalidRequest
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Account, Job


class Intake:
    """Validates the shape of a request, checks URLs, and hands both to the job service."""

    def __init__(self, jobs: JobService, fetcher: ImageFetcher) -> None:
        self.jobs = jobs
        self.fetcher = fetcher

    def submit(
        self,
        account: Account,
        source: str,
        options: OutputOptions,
        upload: bytes | None = None,
        filename: str = "",
        url: str | None = None,
        webhook_url: str | None = None,
        background: bytes | None = None,
    ) -> Job:
        """Exactly one of `upload` and `url`, and `background` when the options lay the
        subject on a picture; nothing is charged unless the job is queued."""
        if (upload is None) == (not url):
            raise InvalidRequest("Send exactly one of image_file and image_url.")
        allow_private = self.fetcher.limits.allow_private
        webhook = check_webhook_url(webhook_url, allow_private) if webhook_url else None
        if url:  # answered at once; the photo is fetched in the background
            return self.jobs.submit_url(
                account, self.fetcher.check(url), source, options, webhook, background
            )
        assert upload is not None
        return self.jobs.submit_upload(
            account, upload, filename, source, options, webhook, background=background
        )
