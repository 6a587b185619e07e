"""The worker process: arq jobs for deadlines, reminders and notifications."""

from worker.settings import SETTINGS_KEY, WorkerSettings

__all__ = ["SETTINGS_KEY", "WorkerSettings"]
