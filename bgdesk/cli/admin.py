"""`bgdesk accounts | keys | credits | jobs`: the owner's bookkeeping from a terminal."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from bgdesk.cli.output import print_json, print_table
from bgdesk.core.app import Core
from bgdesk.core.job_records import as_utc_text
from bgdesk.core.sign_in import sign_in_url
from bgdesk.errors import InvalidRequest
from bgdesk.storage.models import Account, AccountStatus

MAX_LINK_MINUTES = 7 * 24 * 60  # a week


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accounts = commands.add_parser("accounts", help="list, create, suspend and resume accounts")
    verbs = accounts.add_subparsers(dest="verb", required=True)
    _with_json(verbs.add_parser("list", help="every account with its balance"))
    create = _with_json(verbs.add_parser("create", help="a new account (for a script)"))
    create.add_argument("name")
    create.add_argument("--credits", type=int, default=0, help="initial grant")
    for verb in ("suspend", "resume"):
        verbs.add_parser(verb, help=f"{verb} an account's API access").add_argument("account")
    link = verbs.add_parser(
        "link", help="print a one-time link that signs the account in to the web page"
    )
    link.add_argument("account", nargs="?", help="account name or id (default: the owner)")
    link.add_argument(
        "--minutes", type=int, default=15, help="how long the link works (default: 15)"
    )
    secret = verbs.add_parser("secret", help="print the key that signs the account's webhooks")
    secret.add_argument("account", nargs="?", help="account name or id (default: the owner)")

    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    verbs = keys.add_subparsers(dest="verb", required=True)
    create = _with_json(verbs.add_parser("create", help="a new key; its plaintext is shown once"))
    create.add_argument("--account", help="account name or id (default: the owner)")
    create.add_argument("--name", default="", help="a label for the key")
    listing = _with_json(verbs.add_parser("list", help="keys (prefix only, never plaintext)"))
    listing.add_argument("--account", help="only this account's keys")
    verbs.add_parser("revoke", help="revoke a key by id").add_argument("id", type=int)

    credits = commands.add_parser("credits", help="show and grant credits")
    verbs = credits.add_subparsers(dest="verb", required=True)
    show = _with_json(verbs.add_parser("show", help="balance and recent ledger rows"))
    show.add_argument("--account", help="account name or id (default: the owner)")
    grant = verbs.add_parser("grant", help="add credits to an account")
    grant.add_argument("amount", type=int)
    grant.add_argument("--account", help="account name or id (default: the owner)")
    grant.add_argument("--note", default="granted from the command line")

    jobs = commands.add_parser("jobs", help="list jobs, or run the queued ones")
    verbs = jobs.add_subparsers(dest="verb", required=True)
    listing = _with_json(verbs.add_parser("list", help="recent jobs, newest first"))
    listing.add_argument("--limit", type=int, default=20)
    verbs.add_parser("run", help="run queued and interrupted jobs, then exit")


def _with_json(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _account(core: Core, name: str | None) -> Account:
    return core.accounts.get(name) if name else core.accounts.owner()


def _account_record(core: Core, account: Account) -> dict[str, object]:
    return {
        "id": account.id,
        "name": account.name,
        "status": account.status,
        "owner": account.is_owner,
        "credits": core.ledger.balance(account),
    }


def run_accounts(args: argparse.Namespace, core: Core) -> int:
    if args.verb == "list":
        records = [_account_record(core, a) for a in core.accounts.list()]
        if args.json:
            print_json(records)
        else:
            print_table(
                ["ID", "NAME", "STATUS", "CREDITS"],
                [[r["id"], r["name"], r["status"], r["credits"]] for r in records],
            )
    elif args.verb == "create":
        record = _account_record(core, core.accounts.create(args.name, args.credits))
        print_json(record) if args.json else print(f"Created account {args.name}.")
    elif args.verb == "secret":
        print(_account(core, args.account).webhook_secret)
    elif args.verb == "link":
        _sign_in_link(args, core)
    else:
        status = AccountStatus.SUSPENDED if args.verb == "suspend" else AccountStatus.ACTIVE
        account = core.accounts.set_status(args.account, status)
        print(f"Account {account.name} is {status}.")
    return 0


def _sign_in_link(args: argparse.Namespace, core: Core) -> None:
    """A link into the web page for one person: its token in the fragment, which browsers
    send to no server."""
    if not 1 <= args.minutes <= MAX_LINK_MINUTES:
        raise InvalidRequest(f"--minutes must be between 1 and {MAX_LINK_MINUTES}.")
    account = _account(core, args.account)
    token = core.sign_ins.link(account, timedelta(minutes=args.minutes))
    print(sign_in_url(core.public_url, token))
    print(
        f"Opens the web page signed in as {account.name}: once, within {args.minutes} "
        "minutes. Hand it over as you would a password.",
        file=sys.stderr,
    )


def run_keys(args: argparse.Namespace, core: Core) -> int:
    if args.verb == "create":
        _create_key(args, core)
    elif args.verb == "list":
        _list_keys(args, core)
    else:
        key = core.keys.revoke(args.id)
        print(f"Revoked key {key.id} ({key.prefix}…).")
    return 0


def _create_key(args: argparse.Namespace, core: Core) -> None:
    new = core.keys.create(_account(core, args.account), args.name)
    if args.json:
        print_json(
            {
                "id": new.key.id,
                "name": new.key.name,
                "prefix": new.key.prefix,
                "key": new.plaintext,
                "inKeyring": new.in_keyring,
            }
        )
        return
    print(f"API key {new.key.id} ({new.key.name}):\n\n    {new.plaintext}\n")
    print(
        "It is shown only this once"
        + (
            "; a copy is in the system keyring."
            if new.in_keyring
            else " (no system keyring is available to keep a copy)."
        )
    )


def _list_keys(args: argparse.Namespace, core: Core) -> None:
    account = core.accounts.get(args.account) if args.account else None
    records = [
        {
            "id": k.id,
            "account": k.account.name,
            "name": k.name,
            "prefix": k.prefix,
            "createdAt": as_utc_text(k.created_at),
            "lastUsedAt": as_utc_text(k.last_used_at),
            "revoked": k.revoked_at is not None,
        }
        for k in core.keys.list(account)
    ]
    if args.json:
        print_json(records)
        return
    print_table(
        ["ID", "ACCOUNT", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"],
        [
            [
                r["id"],
                r["account"],
                r["name"],
                f"{r['prefix']}…",
                r["createdAt"],
                r["lastUsedAt"] or "never",
                "yes" if r["revoked"] else "",
            ]
            for r in records
        ],
    )


def run_credits(args: argparse.Namespace, core: Core) -> int:
    account = _account(core, args.account)
    if args.verb == "grant":
        core.ledger.grant(account, args.amount, args.note)
        print(
            f"Granted {args.amount} credits to {account.name}; "
            f"balance {core.ledger.balance(account)}."
        )
        return 0
    entries = core.ledger.entries(account, limit=20)
    if args.json:
        print_json(
            {
                "account": account.name,
                "balance": core.ledger.balance(account),
                "entries": [
                    {
                        "kind": e.kind,
                        "amount": e.amount,
                        "note": e.note,
                        "at": as_utc_text(e.created_at),
                    }
                    for e in entries
                ],
            }
        )
    else:
        print(f"{account.name}: {core.ledger.balance(account)} credits\n")
        print_table(
            ["WHEN", "KIND", "AMOUNT", "NOTE"],
            [[as_utc_text(e.created_at), e.kind, f"{e.amount:+d}", e.note] for e in entries],
        )
    return 0


def run_jobs(args: argparse.Namespace, core: Core) -> int:
    if args.verb == "run":
        ran = core.runner.run_until_idle()
        print(f"Ran {ran} job{'s' if ran != 1 else ''}; the queue is empty.")
        return 0
    jobs = core.jobs.recent(limit=args.limit)
    records = [
        {
            "jobId": j.public_id,
            "source": j.source,
            "status": j.status,
            "input": j.input_name,
            "output": j.output_path,
            "error": j.error_message,
            "createdAt": as_utc_text(j.created_at),
        }
        for j in jobs
    ]
    if args.json:
        print_json(records)
    else:
        print_table(
            ["JOB", "SOURCE", "STATUS", "CREATED", "INPUT", "ERROR"],
            [
                [r["jobId"], r["source"], r["status"], r["createdAt"], r["input"], r["error"] or ""]
                for r in records
            ],
        )
    return 0
