"""The process's start-up runs with Python's cyclic garbage collector off, once.

Starting the app imports a few hundred modules and builds its screen: tens
of thousands of objects that live as long as the process, and next to no
cyclic garbage. With the collector on, each full collection walks all of
them again, and in a start-up measured against a bare Textual app
(bench/startup.py) those walks cost more than any one module. So the
collector is off from the command line's parse until the command's module
is loaded, and for `annotate` until the app's first frame; each time it
comes back on, what start-up made is frozen first (`gc.freeze`: kept out of
every later collection, as it would survive them anyway).

Only the process's first command does this: a process that runs many (the
tests' CliRunner) freezes once, so no garbage of its own is frozen for good
again and again.
"""

from __future__ import annotations

import gc

#: True until the process's first command has finished.
_first = True
#: The collector is off because collector_off() turned it off.
_off = False


def collector_off() -> None:
    """Start-up (or a stage of it) begins: the collector off, in the process's first command."""
    global _off
    if _first and gc.isenabled():
        gc.disable()
        _off = True


def collector_on() -> None:
    """A stage of start-up is over: what it made frozen out of sight, the collector back on."""
    global _off
    if _off:
        gc.freeze()
        gc.enable()
        _off = False


def started() -> None:
    """The first command is over: the collector on, and left alone by any later command."""
    global _first
    collector_on()
    _first = False
