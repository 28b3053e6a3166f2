"""``same``: one command line through the real ``ipfs`` binary and through ours (``Ours``, from
tests/_kubo_pair.py), asserting the same exit status and stdout and, on a failure, one line here
holding Kubo's message. For the CLI comparisons with Kubo v0.43.1.
"""

from __future__ import annotations

from tests._kubo import KuboRepo
from tests._kubo_pair import Ours


def same(kubo: KuboRepo, ours: Ours, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run ``args`` through both: the same exit status and stdout; a failure is one line here
    holding Kubo's message (what follows ``Error: ``). Returns ours."""
    theirs = kubo.ipfs(*args, input=stdin, check=False)
    code, out, err = ours.run(*args, stdin=stdin)
    assert (code, out) == (theirs.returncode, theirs.stdout), (args, theirs.stderr, err)
    if code:
        said = theirs.stderr.decode().strip().removeprefix("Error: ")
        assert err.count(b"\n") == 1 and b"Traceback" not in err, err
        assert said in err.decode(), (args, said, err)
    return code, out, err
