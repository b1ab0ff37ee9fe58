"""Run `tui-annotate ARGS…` with Python's import log sent to a file; list sys.modules at exit.

`python -X importtime bench/_app_probe.py MODULES.json IMPORTS.log ARGS…`.
Textual draws on stderr, so the import log (also stderr, at the C level)
is moved to a file and Textual is handed the terminal on a duplicate fd.
Used by bench.imports; nothing else should need it.
"""

import atexit
import json
import os
import runpy
import sys

modules_out, import_log, *args = sys.argv[1:]
terminal = os.dup(2)
log = os.open(import_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(log, 2)
os.close(log)
sys.stderr = sys.__stderr__ = open(terminal, "w", buffering=1, encoding="utf-8")  # noqa: SIM115


@atexit.register
def _dump() -> None:
    with open(modules_out, "w", encoding="utf-8") as f:
        json.dump(sorted(sys.modules), f)


sys.argv = ["tui-annotate", *args]
runpy.run_module("tui_annotate", run_name="__main__", alter_sys=True)
