"""Compatibility shims shared by the scripts that run the real Python `huggingface_hub`."""

from __future__ import annotations

import re
import sys


def _adapt_old_filelock() -> None:
    """Let huggingface_hub run on Debian 12's python3-filelock 3.9 (it requires >= 3.10).

    The only 3.10 feature it uses is `FileLock(..., mode=0o664)` (group-writable lock files in a
    shared cache); dropping `mode` changes nothing for this check. Newer filelocks are left alone.
    """
    try:
        import filelock
    except ImportError:
        return
    version = tuple(int(p) for p in re.findall(r"\d+", filelock.__version__)[:2])
    if version >= (3, 10):
        return
    original = filelock.BaseFileLock.__init__

    def __init__(self, lock_file, timeout=-1, *args, mode=None, **kwargs):  # noqa: ARG001
        original(self, lock_file, timeout, *args, **kwargs)

    filelock.BaseFileLock.__init__ = __init__
    print(f"note: filelock {filelock.__version__} < 3.10: ignoring FileLock(mode=...)", file=sys.stderr)


_adapt_old_filelock()
