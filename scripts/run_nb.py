#!/usr/bin/python3
"""Execute one notebook through the real Jupyter kernel protocol (nbclient) with the tslab kernel.

    /usr/bin/python3 scripts/run_nb.py IN.ipynb OUT.ipynb [--timeout SECONDS] [--kernel tslab]

Run it from the project root: the kernel's working directory is the directory this script is
started from, so notebooks in notebooks/ import the kit by package name from the root.
scripts/notebooks.mjs sets PATH (node_modules/.bin, where the tslab binary lives) and
JUPYTER_PATH (.jupyter/share/jupyter, where the kernel is registered).

Every cell runs even after an error, and the executed notebook is always written. Exit status:
0 when every cell succeeded, 1 when a cell failed (a JSON report of the failures is printed as
the last line of stdout, prefixed with "LCO-RESULT "), 2 on bad usage or a kernel that would not
start.

Per-cell time limits: --timeout (default 600 s) applies to every cell, except a cell tagged
`timeout-<seconds>` (e.g. `timeout-1800`), which gets that limit when it is longer. Chapters tag
the few cells that train at the full profile when no earlier run can be loaded (chapter 21's S
model, chapter 26's continual runs): minutes on a quiet machine, more on a busy one.

Why the 0.3 s sleep: tslab silently aborts every execute request that arrives within 200 ms of
an error, so without a pause the cells after a failing one would come back empty.

The kernel's own stderr (where a dying kernel says why) goes to a temporary file; its last
lines are added to the report of a cell that failed by a dead kernel or a timeout, and to the
report of any failing cell when the kernel wrote something there.
"""
import argparse
import json
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError


def error_text(cell):
    """The error of a failed cell. tslab writes it to stderr streams; the `error` output it also
    sends has an empty evalue. Collect both."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            msg = f"{out.get('ename', '')}: {out.get('evalue', '')}".strip(": ")
            tb = "\n".join(out.get("traceback", []))
            parts.append("\n".join(x for x in (msg, tb) if x))
    text = "\n".join(p.strip("\n") for p in parts if p.strip()) or "(no error text)"
    # Stack frames inside the kernel machinery say nothing about the notebook: drop them.
    text = "\n".join(l for l in text.splitlines() if not INTERNAL_FRAME.search(l))
    if "Unexpected pending rebuildTimer" in text:
        text += ("\n(tslab's compiler saw files it had read change during the run: was dist/ rebuilt "
                 "while the notebook ran? Run it again once the build is done.)")
    return text


INTERNAL_FRAME = re.compile(r"^\s+at .*(node:vm|node:internal|node_modules/tslab/|sigintHandlersWrap|evalmachine\.<anonymous>:\d+:\d+\)?$)")


TIMEOUT_TAG = re.compile(r"^timeout-(\d+)$")


def cell_timeout(cell, default):
    """The time limit of one cell: the longest of `default` and its `timeout-<seconds>` tags."""
    tagged = [int(m.group(1)) for t in cell.get("metadata", {}).get("tags", []) for m in [TIMEOUT_TAG.match(t)] if m]
    return max([default] + tagged)


def kernel_stderr_tail(log, n=15):
    """The last n non-empty lines the kernel process wrote to its stderr."""
    log.flush()
    log.seek(0)
    lines = [l for l in log.read().decode("utf8", "replace").splitlines() if l.strip()]
    return "\n".join(lines[-n:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default 600)")
    ap.add_argument("--kernel", default="tslab")
    args = ap.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    failed = []
    running = {"cell": None}

    def on_cell_start(cell, cell_index, **kwargs):
        # The cell being executed now: the one to blame when the kernel dies or a cell times out.
        # (Looking for "the first cell without outputs" afterwards is wrong: a cell that dies
        # half-way, e.g. during a progress display, already has outputs.)
        running["cell"] = cell_index

    def on_cell_error(cell, cell_index, **kwargs):
        failed.append(cell_index)
        time.sleep(0.3)  # get past tslab's 200 ms abort window (see module docstring)

    client = NotebookClient(
        nb,
        timeout=args.timeout,
        timeout_func=lambda cell: cell_timeout(cell, args.timeout),
        kernel_name=args.kernel,
        allow_errors=True,
        resources={"metadata": {"path": "."}},
        on_cell_start=on_cell_start,
        on_cell_error=on_cell_error,
        # After a cell's reply, nbclient waits this long for the rest of its outputs and then
        # silently drops them (default 4 s). The kernel sends the reply after the outputs queued
        # before it (src/display/send-queue.ts), but on a loaded machine the last ones can still
        # be on their way.
        iopub_timeout=60,
    )
    fatal = None
    t0 = time.time()
    kernel_log = tempfile.TemporaryFile(mode="w+b")
    try:
        client.execute(stderr=kernel_log)
    except CellTimeoutError as e:
        idx = running["cell"]
        limit = cell_timeout(nb.cells[idx], args.timeout) if idx is not None else args.timeout
        fatal = f"cell timed out after {limit} s: {str(e).splitlines()[0] if str(e) else ''}"
    except DeadKernelError as e:
        fatal = f"the kernel died: {e}"
    except Exception as e:  # kernel would not start, etc.
        fatal = f"{type(e).__name__}: {e}"
    elapsed = time.time() - t0
    nbformat.write(nb, args.output)
    tail = kernel_stderr_tail(kernel_log)

    failures = []
    for i in sorted(set(failed)):
        cell = nb.cells[i]
        src = cell.source.strip().splitlines()
        failures.append({"cell": i, "first_line": src[0] if src else "", "error": error_text(cell)})
    if fatal:
        idx = running["cell"]
        src = nb.cells[idx].source.strip().splitlines() if idx is not None else []
        failures = [f for f in failures if f["cell"] != idx]
        failures.append({"cell": idx, "first_line": src[0] if src else "", "error": fatal})
    if failures and tail:
        failures[-1]["kernel_stderr"] = tail
    print("LCO-RESULT " + json.dumps({"ok": not failures, "seconds": round(elapsed, 2), "failures": failures}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
