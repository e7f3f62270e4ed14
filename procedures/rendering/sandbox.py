"""Run one rendering step in a child process with a wall-clock limit and a memory limit.

Markdown, Graphviz and WeasyPrint work on author text; some texts cost them quadratic time or
deep recursion. A signal-based timer only works in a process's main thread (not in a threaded
server or the task worker's threads) and cannot stop a C library, so the work runs in a forked
child: the parent waits at most `SOPDESK_RENDER_TIMEOUT` seconds, then kills it; the child may
map at most `SOPDESK_RENDER_MEMORY_MB` more than the process it was forked from. Whatever happens, the calling worker
carries on and the user is told why in their terms.

The child must not touch the database (it shares the parent's connection): callers read what
they need first and pass plain values.
"""

import ctypes
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import Refused

PR_SET_PDEATHSIG = 1


class RenderRefused(Refused):
    """The document cannot be rendered; `message` says why, for the user."""


class RanOutOfTime(RenderRefused):
    """The child did not finish within its `seconds`."""

    def __init__(self, message: str, *, seconds: float):
        super().__init__(message)
        self.seconds = seconds


def run(func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """`func(*args)` computed in a child process; its exception re-raised here. RenderRefused
    when the child runs out of time or memory."""
    seconds = settings.SOPDESK_RENDER_TIMEOUT if timeout is None else timeout
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(writer, func, args, settings.SOPDESK_RENDER_MEMORY_MB, seconds),
        daemon=True,
    )
    child.start()
    writer.close()
    try:
        if not reader.poll(seconds):
            raise RanOutOfTime(
                _("Rendering took longer than %(seconds)d seconds and was stopped.")
                % {"seconds": seconds},
                seconds=seconds,
            )
        try:
            succeeded, value = reader.recv()
        except (EOFError, TypeError, AttributeError, ImportError):  # died, or sent garbage
            raise RenderRefused(
                _("Rendering stopped: it needed more memory than it is allowed, or it failed.")
            ) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        reader.close()
    if not succeeded:
        raise value if isinstance(value, BaseException) else RenderRefused(str(value))
    return value


def _address_space() -> int:
    """The bytes of address space this process has mapped now (Linux), or 0 if unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent() -> None:
    """Linux: the child is killed if its parent dies (an OOM kill, gunicorn's SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _child(writer, func, args, memory_mb: int, seconds: float) -> None:
    _die_with_parent()
    cpu = int(seconds) + 5  # and it never spins on after the parent stopped waiting
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if memory_mb > 0:  # on top of what the forked process already maps
        limit = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = (True, func(*args))
    except MemoryError:
        result = (False, RenderRefused(_("Rendering needed more memory than it is allowed.")))
    except RecursionError:
        result = (False, RenderRefused(_("The document is nested too deeply to render.")))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which re-raises it
        result = (False, error)
    try:
        writer.send(result)
    except Exception as error:  # noqa: BLE001 - an exception that does not pickle
        writer.send((False, RenderRefused(str(error))))
    writer.close()
    os._exit(0)
