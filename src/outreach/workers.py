"""Compose a batch's chunks in worker processes, results in input order."""

import gc
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice

from outreach.composer import BatchSpec, Composer
from outreach.models import Contact
from outreach.review.page import ReviewEntry

PARALLEL_FROM = 3  # chunks: smaller batches are composed in this process

_composer: Composer | None = None  # a worker's composer; a forked worker inherits its parent's


def compose_all(
    composer: Composer, chunks: Iterator[list[Contact]], workers: int
) -> Iterator[ReviewEntry]:
    """Compose every chunk in input order: here for a small batch, else in `workers` processes."""
    first = list(islice(chunks, PARALLEL_FROM))
    if len(first) < PARALLEL_FROM or workers < 2:
        for number, chunk in enumerate(chain(first, chunks)):
            yield from composer.compose(number, chunk)
        return
    global _composer
    _composer = composer  # made and checked here: forked workers need not make theirs
    try:
        with ProcessPoolExecutor(
            workers, _context(), initializer=_start, initargs=(composer.spec,)
        ) as pool:
            pending: list[Future[list[ReviewEntry]]] = []
            for number, chunk in enumerate(chain(first, chunks)):
                pending.append(pool.submit(_compose, number, chunk))
                if len(pending) > 2 * workers:  # bounded: results flow out as work flows in
                    yield from pending.pop(0).result()
            for future in pending:
                yield from future.result()
    finally:
        _composer = None


def _start(spec: BatchSpec) -> None:
    """Make this worker's composer, unless it was forked with one for the same batch."""
    global _composer
    if _composer is None or _composer.spec != spec:
        _composer = Composer(spec)
    # What the worker holds now (modules, pandas, templates, rules) lives as long as it does:
    # left out of the collector's passes, which otherwise walk all of it again and again.
    gc.freeze()


def _compose(number: int, chunk: list[Contact]) -> list[ReviewEntry]:
    assert _composer is not None, "worker not started"
    return _composer.compose(number, chunk)


def _context() -> multiprocessing.context.BaseContext:
    """Fork where it is safe (cheap: everything is loaded already), else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def cpu_count() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
