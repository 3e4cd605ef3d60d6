"""A batch's bookkeeping: what belongs to it, how each job ended, the summary in words."""

from __future__ import annotations

from bgdesk.gui.batch import Batch, Outcome, duration_text


def test_a_batch_counts_each_job_once_and_sums_up() -> None:
    batch = Batch()
    for job_id in ("a", "b", "c", "d", "a"):
        batch.add(job_id)
    assert (batch.finished, batch.total) == (0, 4)
    done, failed = Outcome.DONE, Outcome.FAILED
    assert batch.end("a", done) and batch.end("b", done) and batch.end("c", failed)
    assert not batch.end("a", done), "ended once"
    assert not batch.end("z", done), "not part of the batch"
    batch.to_check.append("b")
    assert batch.waiting == ["d"] and (batch.finished, batch.total) == (3, 4)
    batch.end("d", Outcome.CANCELLED)
    assert batch.summary() == "2 done (1 to check), 1 failed, 1 cancelled"
    assert Batch().summary() == "0 done"


def test_time_left_reads_as_a_person_says_it() -> None:
    assert duration_text(0.2) == "about 1 s left"
    assert duration_text(42) == "about 42 s left"
    assert duration_text(180) == "about 3 min left"
