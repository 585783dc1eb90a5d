"""The task scheduler of the protocol: fits run as soon as the results they need are there.

A :class:`_Task` is one fit (a pretraining, the SVM baselines of a recording,
the neural networks of a recording and ensemble member); :func:`_run_tasks`
runs them here or in worker processes (loky), each one started once the
extractors it needs are trained.
"""

from __future__ import annotations

import time
import warnings
from typing import NamedTuple

from ..training import distributed
from ..utils import check_int, logger


class _Task(NamedTuple):
    """A fit of the protocol: ``fn(*args, **kwargs, pretrained={modality: result})``.

    ``needs``: ``{modality: key}`` of the tasks (pretrainings) whose results
    it takes as ``pretrained`` (it waits for them).
    """

    key: tuple
    fn: object
    args: tuple
    kwargs: dict
    needs: dict | None = None


def _timed(fn, args, kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    t0 = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - t0


def _in_process(threads, fn, args, kwargs):
    """:func:`_timed` in a worker process with ``threads`` torch threads, warnings only."""
    import torch
    from mne.utils import use_log_level

    torch.set_num_threads(threads)
    with use_log_level("WARNING"):
        return _timed(fn, args, kwargs)


def _check_n_jobs(n_jobs):
    n_jobs = check_int(n_jobs, "n_jobs", minimum=-1)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes or -1 (all cores)")
    if n_jobs != 1 and distributed.is_distributed():
        raise ValueError(f"n_jobs={n_jobs} cannot be combined with torchrun "
                         f"({distributed.world_size()} processes); use n_jobs=1")
    return n_jobs


def _run_tasks(n_jobs, tasks, done):
    """Run ``tasks`` (in processes); yield ``(task, result, seconds)`` as each one ends.

    A task starts once the results it needs are in ``done`` (results of
    earlier runs or of tasks here, added as they arrive); among the tasks
    that can start, the first in ``tasks`` goes first. At most ``n_jobs``
    tasks run at a time, each in a process with an equal share of this
    process's torch threads; with one job everything runs here, in order.
    A process is thus never idle while a task could run (e.g. the members
    of an ensemble whose extractors are ready are fitted while the last
    extractor still trains).
    """
    import concurrent.futures as cf

    pending = list(tasks)

    def ready():
        for i, task in enumerate(pending):
            if all(key in done for key in (task.needs or {}).values()):
                return pending.pop(i)
        return None

    def call(task):
        kwargs = task.kwargs
        if task.needs is not None:
            kwargs = dict(kwargs, pretrained={m: done[key] for m, key in task.needs.items()})
        return task.fn, task.args, kwargs

    if n_jobs == 1 or len(tasks) <= 1:
        while pending:
            task = ready()
            if task is None:
                raise RuntimeError(f"Protocol tasks wait for results that no task computes: "
                                   f"{[t.key for t in pending]}")
            result, seconds = _timed(*call(task))
            done[task.key] = result
            yield task, result, seconds
        return
    import torch
    from joblib import effective_n_jobs
    from joblib.externals.loky import get_reusable_executor

    n_jobs = min(effective_n_jobs(n_jobs), len(tasks))
    threads = max(1, torch.get_num_threads() // n_jobs)
    logger.info(f"Running {len(tasks)} fits in {n_jobs} processes, {threads} torch "
                f"thread(s) each")
    executor = get_reusable_executor(max_workers=n_jobs, timeout=300)
    running = {}
    try:
        with warnings.catch_warnings():
            # loky replaces a worker whose memory grew by more than 300 MB after a task (its
            # leak protection) and warns; no task is lost
            warnings.filterwarnings("ignore", "A worker stopped while some jobs were given",
                                    UserWarning)
            while pending or running:
                while len(running) < n_jobs and (task := ready()) is not None:
                    running[executor.submit(_in_process, threads, *call(task))] = task
                if not running:
                    raise RuntimeError(f"Protocol tasks wait for results that no task "
                                       f"computes: {[t.key for t in pending]}")
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    result, seconds = future.result()
                    done[task.key] = result
                    yield task, result, seconds
    finally:
        for future in running:
            future.cancel()

