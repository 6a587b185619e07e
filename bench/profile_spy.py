"""Where a server process spends its time during the measured rounds: py-spy samples it
and prints self and inclusive shares of the busy samples (bench/fanout.py --profile)."""

from __future__ import annotations

import collections
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile

from procs import ROOT


def start_py_spy(label: str, pid: int) -> tuple[str, subprocess.Popen, pathlib.Path]:
    exe = pathlib.Path(sys.executable).parent / "py-spy"
    if not exe.exists():
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"])
    out = pathlib.Path(tempfile.mkdtemp(prefix="hb-pyspy-")) / f"{pid}.txt"
    proc = subprocess.Popen([str(exe), "record", "--pid", str(pid), "--duration", "600", "--rate", "200",
                             "--nonblocking", "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return label, proc, out


def stop_py_spy(spy: tuple[str, subprocess.Popen, pathlib.Path]) -> None:
    label, proc, out = spy
    proc.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    if not out.exists():
        print(f"  py-spy ({label}) wrote nothing: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
        return
    summarise_stacks(label, out)
    shutil.rmtree(out.parent, ignore_errors=True)


def summarise_stacks(label: str, path: pathlib.Path, top: int = 30) -> None:
    """Collapsed stacks ("a;b;c count") -> self and inclusive share of the busy samples."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if f]
        if not frames or frames[-1].endswith("select (selectors.py)"):  # the event loop waiting is not work
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        print(f"\n  py-spy ({label}): no busy samples")
        return
    boring = ("<module>", "_run_code", "_run_module_as_main", "run (", "main (", "Runner.run", "asyncio_run",
              "BaseEventLoop.run_", "Server.run", "Server.serve", "_run_once", "Handle._run")
    print(f"\n  py-spy, {label}, measured rounds: {total} busy samples at 200 Hz (idle event loop excluded)")
    print("    self time:")
    for f, n in own.most_common(top):
        print(f"      {100 * n / total:5.1f}%  {f}")
    print("    inclusive:")
    shown = 0
    for f, n in incl.most_common():
        if f.startswith(boring):
            continue
        print(f"      {100 * n / total:5.1f}%  {f}")
        shown += 1
        if shown >= top:
            break


def _short(frame: str) -> str:
    # "func (path/to/file.py:123)" -> "func (package/file.py)"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = pathlib.PurePath(path).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    elif path.startswith(str(ROOT)):
        parts = pathlib.PurePath(path).relative_to(ROOT).parts
    else:
        parts = parts[-1:]
    return f"{name} ({'/'.join(parts)})"
