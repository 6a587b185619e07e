"""arq locks a job of a killed worker for the longest timeout of any of its functions + 10 s,
so one long timeout delays every recovery after a crash: none may exceed a minute."""

from __future__ import annotations

from arq.worker import Function, func

from worker.settings import WorkerSettings


def test_no_worker_function_or_cron_job_may_run_longer_than_a_minute() -> None:
    timeouts = {}
    for item in [*WorkerSettings.functions, *WorkerSettings.cron_jobs]:
        fn = item if isinstance(item, Function) or hasattr(item, "timeout_s") else func(item)
        timeouts[fn.name] = fn.timeout_s or WorkerSettings.job_timeout
    assert timeouts and max(timeouts.values()) <= 60, timeouts
