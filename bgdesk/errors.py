"""The error tree. Every failure a user can meet is one of these classes.

Each class carries the HTTP status the API answers with, a stable machine `code`, and a
message written for a person; the window shows `str(error)` in a dialog and the CLI prints it.

    BgdeskError                      500 internal_error
    ├── InvalidRequest               400 invalid_request
    │   ├── NotAnImage               400 not_an_image
    │   ├── UnsupportedFormat        400 unsupported_format
    │   ├── TruncatedImage           400 truncated_image
    │   ├── ImageTooLarge            400 image_too_large
    │   ├── InvalidOption            400 invalid_option
    │   ├── InvalidUrl               400 invalid_url
    │   └── UnknownHost              400 unknown_host
    ├── AuthenticationFailed         401 invalid_api_key
    │   └── NotSignedIn              401 not_signed_in
    ├── CrossSiteRequest             403 csrf_token_invalid
    ├── InsufficientCredits          402 insufficient_credits
    ├── AccountSuspended             403 account_suspended
    ├── OwnerOnly                    403 owner_only
    ├── KeysNeedAPerson              403 session_required
    ├── NotFound                     404 not_found
    ├── MethodNotAllowed             405 method_not_allowed
    ├── Conflict                     409 conflict
    ├── BodyTooSlow                  408 request_timeout
    ├── HeadersTooLarge              431 headers_too_large
    ├── ModelUnavailable             503 model_unavailable
    │   └── ModelDownloadFailed      503 model_download_failed
    │       └── ChecksumMismatch     503 checksum_mismatch
    ├── DeviceUnavailable            503 device_unavailable
    ├── TemporarilyUnavailable       503 unavailable        (with a Retry-After)
    │   ├── StorageFull              503 storage_full
    │   ├── DatabaseBusy             503 database_busy
    │   ├── DatabaseUnreachable      503 database_unreachable
    │   ├── ServerBusy               503 server_busy
    │   ├── TooManyUploads           429 too_many_uploads
    │   └── TooManySignIns           429 too_many_sign_ins
    ├── ProcessingFailed             500 processing_failed
    ├── PortUnavailable              500 port_unavailable
    └── SettingsError                500 settings_error
"""

from __future__ import annotations


class BgdeskError(Exception):
    """Base of every error bgdesk raises on purpose."""

    status: int = 500
    code: str = "internal_error"
    default_message: str = "Something went wrong inside bgdesk."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidRequest(BgdeskError):
    status, code = 400, "invalid_request"
    default_message = "The request is not valid."


class NotAnImage(InvalidRequest):
    code = "not_an_image"
    default_message = "The file is not an image."


class UnsupportedFormat(InvalidRequest):
    code = "unsupported_format"
    default_message = "This image format is not supported."


class TruncatedImage(InvalidRequest):
    code = "truncated_image"
    default_message = "The image file is truncated or corrupt."


class ImageTooLarge(InvalidRequest):
    code = "image_too_large"
    default_message = "The image is too large."


class InvalidOption(InvalidRequest):
    code = "invalid_option"
    default_message = "An output option has an unknown value."


class InvalidUrl(InvalidRequest):
    code = "invalid_url"
    default_message = "The URL cannot be used."


class UnknownHost(InvalidRequest):
    code = "unknown_host"
    default_message = "This server does not answer to that name."


class AuthenticationFailed(BgdeskError):
    status, code = 401, "invalid_api_key"
    default_message = "Missing, malformed, unknown or revoked API key."


class InsufficientCredits(BgdeskError):
    status, code = 402, "insufficient_credits"
    default_message = "Not enough credits. Grant more credits to this account."


class NotSignedIn(AuthenticationFailed):
    """The web page's request carries no live session (or its sign-in link is spent)."""

    code = "not_signed_in"
    default_message = "Not signed in."


class CrossSiteRequest(BgdeskError):
    """A change asked for with a session cookie but without the session's CSRF token: what a
    page of another site would send."""

    status, code = 403, "csrf_token_invalid"
    default_message = "The request's X-CSRF-Token is missing or wrong; reload the page."


class AccountSuspended(BgdeskError):
    status, code = 403, "account_suspended"
    default_message = "This account is suspended."


class OwnerOnly(BgdeskError):
    """Something only the installation's owner may do: manage accounts and their credits."""

    status, code = 403, "owner_only"
    default_message = "Only the installation's owner may do this."


class KeysNeedAPerson(BgdeskError):
    """API keys made or revoked with an API key: a leaked key must not mint its successor or
    revoke the keys that replace it."""

    status, code = 403, "session_required"
    default_message = (
        "API keys are made and revoked on the web page, in the window or with `bgdesk keys`, "
        "not with an API key."
    )


class NotFound(BgdeskError):
    status, code = 404, "not_found"
    default_message = "Not found."


class MethodNotAllowed(BgdeskError):
    status, code = 405, "method_not_allowed"
    default_message = "This address does not take that method."


class Conflict(BgdeskError):
    status, code = 409, "conflict"
    default_message = "That already exists."


class BodyTooSlow(BgdeskError):
    status, code = 408, "request_timeout"
    default_message = "The request's body arrived too slowly; send it again."


class HeadersTooLarge(BgdeskError):
    status, code = 431, "headers_too_large"
    default_message = "The request's headers are too long."


class ModelUnavailable(BgdeskError):
    status, code = 503, "model_unavailable"
    default_message = "The model is not installed."


class ModelDownloadFailed(ModelUnavailable):
    code = "model_download_failed"
    default_message = "The model could not be downloaded."


class ChecksumMismatch(ModelDownloadFailed):
    code = "checksum_mismatch"
    default_message = "The model file does not match its published checksum."


class DeviceUnavailable(BgdeskError):
    """The device the `device` setting names cannot run the model here; bgdesk does not run
    it on the CPU instead."""

    status, code = 503, "device_unavailable"
    default_message = "The device the settings name cannot run the model on this computer."


class TemporarilyUnavailable(BgdeskError):
    """A refusal that is nobody's mistake and passes: try again after `retry_after` seconds."""

    status, code = 503, "unavailable"
    default_message = "bgdesk cannot take this request now; try again shortly."
    retry_after = 5


class StorageFull(TemporarilyUnavailable):
    code = "storage_full"
    default_message = "The disk that holds bgdesk's data is full. Free some space and try again."
    retry_after = 30


class DatabaseBusy(TemporarilyUnavailable):
    code = "database_busy"
    default_message = "bgdesk's database is held by another program. Try again shortly."


class DatabaseUnreachable(TemporarilyUnavailable):
    code = "database_unreachable"
    default_message = "bgdesk cannot reach its database server now. Try again shortly."


class ServerBusy(TemporarilyUnavailable):
    code = "server_busy"
    default_message = "bgdesk is handling as many requests as it can; try again shortly."
    retry_after = 2


class TooManyUploads(TemporarilyUnavailable):
    """An account already has as many uploads arriving as it may: one client cannot take
    every connection the server keeps."""

    status, code = 429, "too_many_uploads"
    default_message = "This account has too many uploads arriving at once; try again shortly."
    retry_after = 2


class TooManySignIns(TemporarilyUnavailable):
    """Sign-in attempts from one address, failing faster than a person mistypes."""

    status, code = 429, "too_many_sign_ins"
    default_message = "Too many sign-in attempts from this address; wait a minute and try again."
    retry_after = 60


class ProcessingFailed(BgdeskError):
    code = "processing_failed"
    default_message = "Processing failed."


class PortUnavailable(BgdeskError):
    """The API's port cannot be listened on: another program has it, or it is not allowed."""

    code = "port_unavailable"


class SettingsError(BgdeskError):
    code = "settings_error"
    default_message = "The settings are not valid."


def error_class(code: str | None) -> type[BgdeskError]:
    """The class of the error with `code` (as stored with a failed job or a refusal), so
    callers tell error families apart by class; BgdeskError for an unknown code."""
    pending: list[type[BgdeskError]] = [BgdeskError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending += cls.__subclasses__()
    return BgdeskError
