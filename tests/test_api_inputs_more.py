"""More of the public API given arguments of the wrong type or shape (the sweep after
``tests/test_api_inputs.py``): each is a typed ``AutocodecError`` naming the argument, or the
value the caller meant, never a bare ``TypeError``/``AttributeError`` or a silently wrong result."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest


import autocodec
from autocodec.bench._data import module_bytes
from autocodec.loader import Sandbox

BLOCK = b"blob 1\x00z"


def test_a_memoryview_of_wider_items_is_taken_as_its_bytes(tmp_path: Path) -> None:
    """``len()`` of ``memoryview(array('I', [1, 2]))`` is 2 (items), not 8 (bytes): the adapters
    handed the guest 2 bytes, so ``Hasher.digest`` returned the digest of other bytes, silently."""
    words = memoryview(array("I", [0x626F6C62, 0x00312000]))
    raw = words.tobytes()
    sandbox = Sandbox()
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    codec = sandbox.load(module_bytes("git-raw")).codec()
    git = memoryview(array("H", b"blob 3\x00xyz"))  # 10 bytes, 5 items
    assert hasher.digest(words) == hasher.digest(raw)
    assert hasher.digest(words, 40) == hasher.digest(raw, 40)
    assert codec.decode(git) == codec.decode(git.tobytes())
    with autocodec.Runtime(tmp_path / "home") as rt:
        assert rt.hash(words, "keccak-256") == rt.hash(raw, "keccak-256")
        assert rt.hash_many([words], "keccak-256") == [rt.hash(raw, "keccak-256")]
        cid = rt.put(git.tobytes(), "git-raw", "sha1")
        assert rt.decode_block(cid, git) == rt.decode(cid)


@pytest.mark.parametrize("bad", [5, 0, True, "key", None, 1.5, -1, 2**70, [1]])
@pytest.mark.parametrize("at", [0, 1, 2], ids=["public_key", "message", "signature"])
def test_the_builtin_ed25519_check_takes_bytes_only(bad: object, at: int) -> None:
    """``autocodec.verify_signature("ed25519-pub", 5, ...)`` read five zero bytes as the key and
    returned False, as it did for a message or signature of any type; a str, -1 or 2**70 as the key
    was a TypeError, ValueError or OverflowError."""
    from autocodec.errors import InvalidInput

    args: list[object] = [bytes(32), b"m", bytes(64)]
    assert autocodec.verify_signature("ed25519-pub", *args) is False  # type: ignore[arg-type]
    args[at] = bad
    with pytest.raises(InvalidInput, match="verify_signature needs bytes"):
        autocodec.verify_signature("ed25519-pub", *args)  # type: ignore[arg-type]
