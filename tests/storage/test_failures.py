"""A background loop that retries tells each failure once, not once a pass."""

from __future__ import annotations

import errno

from bgdesk.storage.failures import LoopFailures


def out_of_files(name: str) -> OSError:
    return OSError(errno.EMFILE, "Too many open files", name)


def test_a_failure_repeated_pass_after_pass_is_told_once_until_a_pass_goes_through() -> None:
    failures = LoopFailures()
    told = [failures.first(out_of_files(f"module{n}.py")) for n in range(1000)]
    assert told == [True] + [False] * 999, "the same failure, whatever file it names"
    assert failures.first(ValueError("another")), "a failure of another kind is news"
    assert failures.first(out_of_files("again.py")), "and so is the first one once more"
    failures.passed()
    assert failures.first(out_of_files("later.py")), "a pass went through in between"
