"""The fourth sweep of the public API for arguments of the wrong type or value (after
``tests/test_api_inputs_third.py``): the trust store's verifying entries, limits, runtime
extensions, fetch admission and cancellation, and IPVM and UCAN entries. A wrong argument is a
typed ``AutocodecError`` naming it, never a bare ``TypeError``/``ValueError``/``AttributeError``
from deep inside, nor a value read as something else."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import autocodec
from autocodec.config import DecodeLimits, FetchLimits, SandboxLimits
from autocodec.errors import InvalidCID, InvalidInput

CID_X = autocodec.cid_for(b"x", "raw")


def test_the_trust_store_verifies_by_a_cid_in_any_base_and_names_a_wrong_argument(tmp_path: Path) -> None:
    """``anchor_for`` matched a root against the pinned sets' lineages by ``CID`` objects, so the
    root of a pinned set given as text was read as a new anchor of another set under the same name
    (``RootChainError``); ``verify(5, fetch)`` was a ``FetchError`` blaming the source for
    ``index 5``, a fetch of another type one too, ``pin(5, ...)`` read five zero bytes as the root
    envelope and ``pin("...")`` was a TypeError."""
    with autocodec.Runtime(tmp_path / "home") as rt:
        trust = rt.trust
        state = trust.state(trust.sets()[0].set_id)
        fetch = rt.store.get
        for root in (state.root_cid, str(state.root_cid), state.root_cid.encode("base36")):
            found, anchor = trust.anchor_for(root, fetch)  # type: ignore[arg-type]
            assert (found.set_id, anchor) == (state.set_id, None)
        calls = {
            "verify needs a CID, not int": lambda: trust.verify(5, fetch),  # type: ignore[arg-type]
            "verify needs a fetch function .a CID to bytes., not int": lambda: trust.verify(CID_X, 5),  # type: ignore[arg-type]
            "verify's now needs a whole number, not str": lambda: trust.verify(CID_X, fetch, now="1"),  # type: ignore[arg-type]
            "update needs a CID, not list": lambda: trust.update(state.set_id, [CID_X], fetch),  # type: ignore[arg-type]
            "pin's root_envelope needs bytes, not int": lambda: trust.pin(5, CID_X, fetch),  # type: ignore[arg-type]
            "pin's root_envelope needs bytes, not str": lambda: trust.pin("root", CID_X, fetch),  # type: ignore[arg-type]
            "pin needs a CID, not NoneType": lambda: trust.pin(b"", None, fetch),  # type: ignore[arg-type]
            "anchor_for needs a CID, not int": lambda: trust.anchor_for(5, fetch),  # type: ignore[arg-type]
            "anchor_for's replacing needs a CID, not int": lambda: trust.anchor_for(state.root_cid, fetch, replacing=5),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        with pytest.raises(InvalidCID):
            trust.verify("not a cid", fetch)


def test_an_extension_of_an_unknown_kind_or_a_builtin_is_an_invalid_input(tmp_path: Path) -> None:
    """``Runtime.extension`` raised the bare base ``AutocodecError`` for a kind that is none
    (``"codecs"``, ``5``) and for a builtin code: a caller could catch no cause of its own."""
    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        for kind in ("codecs", 5, None, ["codec"]):
            with pytest.raises(InvalidInput, match="unknown extension kind") as refused:
                rt.extension(kind, 0x71)  # type: ignore[arg-type]
            assert refused.value.hint.startswith("use one of codec")
            with pytest.raises(InvalidInput, match="unknown extension kind"):
                rt.resolve(kind, 0x71)  # type: ignore[arg-type]
        for kind, code in (("codec", 0x71), ("codec", "dag-cbor"), ("hasher", 0x12)):
            with pytest.raises(InvalidInput, match=f"{kind} {code!r} is builtin, not an extension"):
                rt.extension(kind, code)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: autocodec.Limits(decode=5), r"Limits.decode needs a DecodeLimits, not int"),
    (lambda: autocodec.Limits(fetch=autocodec.Limits()), r"Limits.fetch needs a FetchLimits, not Limits"),
    (lambda: FetchLimits(deadline_s=float("nan")), r"FetchLimits.deadline_s needs a finite number above 0, not nan"),
    (lambda: FetchLimits(deadline_s=-1), r"FetchLimits.deadline_s needs a finite number above 0, not -1"),
    (lambda: FetchLimits(timeout_s=float("inf")), r"FetchLimits.timeout_s needs a finite number above 0, not inf"),
    (lambda: FetchLimits(timeout_s="10"), r"FetchLimits.timeout_s needs a number, not str"),
    (lambda: FetchLimits(max_concurrent=0), r"FetchLimits.max_concurrent needs a finite number above 0, not 0"),
    (lambda: FetchLimits(retries=-1), r"FetchLimits.retries needs a finite number from 0, not -1"),
    (lambda: FetchLimits(deadline_s=1e300), r"FetchLimits.deadline_s is at most 2147483647 ms"),
    (lambda: SandboxLimits(fuel="x"), r"SandboxLimits.fuel needs a whole number, not str"),
    (lambda: SandboxLimits(fuel=1.5), r"SandboxLimits.fuel needs a whole number, not float"),
    (lambda: SandboxLimits(fuel=True), r"SandboxLimits.fuel needs a whole number, not bool"),
    (lambda: DecodeLimits(strict_blocks=1), r"DecodeLimits.strict_blocks needs True or False, not int"),
    (lambda: replace(DecodeLimits(), max_depth=None), r"DecodeLimits.max_depth needs a whole number, not NoneType"),
])
def test_limits_are_checked_when_made(build: object, message: str) -> None:
    """``Limits(decode=5)``, a NaN or negative ``deadline_s``, a str ``fuel`` were taken as given
    and met later, as an AttributeError or TypeError in a fetch or a guest call, or as no bound
    at all (every comparison with NaN is False; ``max_concurrent=0`` was "no cap")."""
    with pytest.raises(InvalidInput, match=message):
        build()  # type: ignore[operator]


def test_limits_that_are_kept_still_build() -> None:
    """What the defaults, the documented zeros and ints for times give is unchanged."""
    assert FetchLimits(retries=0, backoff_s=0, timeout_s=2).timeout_s == 2
    assert SandboxLimits(pooled_instances=0, decode_fuel_per_byte=0).pooled_instances == 0
    assert replace(autocodec.Limits(), fetch=FetchLimits(deadline_s=5)).fetch.deadline_s == 5


def test_config_file_limits_still_name_the_file_and_key(tmp_path: Path) -> None:
    """``config.toml`` is checked before any limit is made: its messages name the file and key."""
    from autocodec.errors import ConfigError
    from autocodec.settings import Settings

    config = tmp_path / "config.toml"
    for text, message in (("[limits.fetch]\ndeadline_s = nan\n", "limits.fetch.deadline_s must be a finite number"),
                          ("[limits.sandbox]\nfuel = -5\n", "limits.sandbox.fuel must be positive"),
                          ("[limits.fetch]\nmax_concurrent = 0\n", "limits.fetch.max_concurrent must be positive")):
        config.write_text(text)
        with pytest.raises(ConfigError, match=f"{config}: {message}"):
            Settings.load(config).apply_limits()


def test_config_file_limits_take_zero_where_the_limits_do(tmp_path: Path) -> None:
    """``config.toml`` and ``config.Limits`` follow one rule for 0: the file refused
    ``fetch.retries = 0``, ``fetch.backoff_s = 0`` and ``remote.queue = 0``, which the limits take
    (no retry, no pause, no queue), having a list of its own."""
    from autocodec.errors import ConfigError
    from autocodec.settings import Settings

    config = tmp_path / "config.toml"
    config.write_text("[limits.fetch]\nretries = 0\nbackoff_s = 0\n[limits.remote]\nqueue = 0\n")
    limits = Settings.load(config).apply_limits()
    assert (limits.fetch.retries, limits.fetch.backoff_s, limits.remote.queue) == (0, 0.0, 0)
    config.write_text("[limits.fetch]\nretries = -1\n")
    with pytest.raises(ConfigError, match="limits.fetch.retries must be 0 or more"):
        Settings.load(config).apply_limits()


def test_fetch_admission_and_cancel_name_a_wrong_argument() -> None:
    """``Fetcher(max_concurrent=0)`` meant "no cap" without a word (``if max_concurrent``), a
    ``verify`` that is no function failed at the first block fetched, and ``Cancel(reason=5)``
    was taken and formatted into every ``FetchCancelled`` as ``...: 5``."""
    from autocodec.sources import Fetcher, GatewaySource
    from autocodec.sources._http import Cancel

    source = GatewaySource("http://127.0.0.1:9")
    with pytest.raises(InvalidInput, match="max_concurrent needs a whole number from 1, not 0") as refused:
        Fetcher(None, [source], max_concurrent=0)
    assert refused.value.hint == "give None for no cap"
    with pytest.raises(InvalidInput, match="Fetcher's verify needs a function .CID, bytes., not int"):
        Fetcher(None, [source], verify=5)  # type: ignore[arg-type]
    assert Fetcher(None, [source], max_concurrent=None).max_concurrent is None
    for reason in (5, None, b"stop"):
        with pytest.raises(InvalidInput, match="Cancel's reason needs text .str., not"):
            Cancel(reason)  # type: ignore[arg-type]
    assert Cancel("stopped").reason == "stopped"


def test_read_section_at_takes_a_descriptor_and_an_offset(tmp_path: Path) -> None:
    """``store.read_section_at`` is public and checked nothing: ``fd=True`` read the section from
    descriptor 1 (stdout), a file object or a str offset was a TypeError, a negative offset an
    OSError, 2**70 an OverflowError, ``limits=5`` an AttributeError."""
    import io

    from autocodec.store import CarReader, CarWriter, read_section_at

    path = tmp_path / "one.car"
    with path.open("wb") as out:
        CarWriter(out, [CID_X]).write(CID_X, b"x")
    with path.open("rb") as car:
        reader = CarReader(car)
        next(iter(reader))
        offset, fd = reader.section_offset, car.fileno()
        assert read_section_at(fd, offset) == (CID_X, b"x")
        calls = {
            "needs a file descriptor .int., not BufferedReader .give its fileno..": lambda: read_section_at(car, offset),  # type: ignore[arg-type]
            "file descriptor needs a whole number, not bool": lambda: read_section_at(True, offset),
            "file descriptor needs a whole number from 0 up to 2147483647, not -1": lambda: read_section_at(-1, offset),
            "offset needs a whole number, not str": lambda: read_section_at(fd, str(offset)),  # type: ignore[arg-type]
            "offset needs a whole number from 0 .*, not -1": lambda: read_section_at(fd, -1),
            "offset needs a whole number from 0 .*, not 1180591620717411303424": lambda: read_section_at(fd, 2**70),
            "limits needs Limits, not int": lambda: read_section_at(fd, offset, limits=5),  # type: ignore[arg-type]
            "needs a file descriptor .int., not BytesIO": lambda: read_section_at(io.BytesIO(), 0),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()


@pytest.fixture(scope="module")
def ucan_keys() -> tuple[object, object]:
    from autocodec.verify import SigningKey

    return SigningKey.from_seed(bytes(32)), SigningKey.from_seed(bytes([1]) * 32)


NOW = 1_700_000_000


def test_a_revoked_delegation_is_found_by_its_cid_in_any_base(ucan_keys: tuple[object, object],
                                                              tmp_path: Path) -> None:
    """``Revocations.is_revoked`` looked a delegation up by ``str(cid)``: the CID of a revoked
    delegation in another base (base36, as a CLI user may paste it) said "not revoked"."""
    from autocodec.verify.ucan import Revocations, delegate, revocation

    issuer, audience = ucan_keys
    delegation = delegate(issuer, audience.did, "/wasm/run", now=NOW)  # type: ignore[arg-type, attr-defined]
    revocations = Revocations(tmp_path / "db.sqlite")
    revocations.record(revocation(issuer, delegation, now=NOW), delegation)  # type: ignore[arg-type]
    for cid in (delegation.cid, str(delegation.cid), delegation.cid.encode("base36")):
        assert revocations.is_revoked(cid)  # type: ignore[arg-type]
    with pytest.raises(InvalidCID, match="is_revoked needs a CID, not int"):
        revocations.is_revoked(5)  # type: ignore[arg-type]
    calls = {
        "Revocations needs a path .str or pathlib.Path., not int": lambda: Revocations(5),  # type: ignore[arg-type]
        "record's revocation needs a UCAN Token, not bytes: parse its bytes with parse_token":
            lambda: revocations.record(delegation.data, delegation),  # type: ignore[arg-type]
        "record's delegation needs a UCAN Token, not CID": lambda: revocations.record(delegation, delegation.cid),  # type: ignore[arg-type]
    }
    for message, call in calls.items():
        with pytest.raises(InvalidInput, match=message):
            call()


@pytest.mark.parametrize("bad", [float("nan"), 1.5, "1700000000", None, True, -1, 2**53])
def test_ucan_times_are_whole_seconds(bad: object, ucan_keys: tuple[object, object]) -> None:
    """``validate_delegation(token, nan)`` validated a delegation that had expired (every
    comparison with NaN is False); ``delegate(not_before="3")`` or ``1.9`` was ``int()``ed into
    the signed token; a str ``now`` was a TypeError, a negative one signed as ``iat``."""
    from autocodec.verify.ucan import delegate, invoke, validate_delegation, validate_invocation

    issuer, audience = ucan_keys
    expired = delegate(issuer, audience.did, "/wasm/run", now=NOW, expires_in=10)  # type: ignore[arg-type, attr-defined]
    invocation = invoke(audience, issuer.did, "/wasm/run", {}, now=NOW, proofs=[expired])  # type: ignore[arg-type, attr-defined]
    calls = {
        "validate_delegation's now": lambda: validate_delegation(expired, bad),  # type: ignore[arg-type]
        "validate_invocation's now": lambda: validate_invocation(invocation, [expired], bad),  # type: ignore[arg-type]
        "delegate's now": lambda: delegate(issuer, audience.did, "/wasm/run", now=bad),  # type: ignore[arg-type, attr-defined]
        "delegate's not_before": lambda: delegate(issuer, audience.did, "/wasm/run", now=NOW,  # type: ignore[arg-type, attr-defined]
                                                  not_before=bad),
        "invoke's now": lambda: invoke(audience, issuer.did, "/wasm/run", {}, now=bad),  # type: ignore[arg-type, attr-defined]
    }
    if bad is None:  # no not_before: valid at once
        del calls["delegate's not_before"]
    for what, call in calls.items():
        with pytest.raises(InvalidInput, match=f"{what} needs a whole number"):
            call()


def test_a_delegation_that_is_never_valid_or_outlives_a_ucans_times_is_refused(ucan_keys: tuple[object, object]) -> None:
    """``delegate`` signed a not_before at or after the expiry (a delegation never valid) and an
    expiry past 2^53-1 (which no UCAN reader takes back: it was an InvalidToken asking for a valid
    token when read); the CLI refused both, other callers of the library did not (noted by
    helper 64). A proof's earlier expiry counts."""
    from autocodec.verify.ucan import delegate

    issuer, audience = ucan_keys
    for kwargs, said in (({"expires_in": 10, "not_before": NOW + 10}, "is never valid"),
                         ({"expires_in": 10, "not_before": NOW + 99}, "is never valid"),
                         ({"expires_in": 2**53}, "ends after the latest time a UCAN can hold")):
        with pytest.raises(InvalidInput, match=said):
            delegate(issuer, audience.did, "/wasm/run", now=NOW, **kwargs)  # type: ignore[arg-type, attr-defined]
    proof = delegate(issuer, audience.did, "/wasm", now=NOW, expires_in=10)  # type: ignore[arg-type, attr-defined]
    with pytest.raises(InvalidInput, match="is never valid"):
        delegate(audience, issuer.did, "/wasm/run", now=NOW, expires_in=3600, not_before=NOW + 20,  # type: ignore[arg-type, attr-defined]
                 proof=proof)
    assert delegate(issuer, audience.did, "/wasm/run", now=NOW, expires_in=10, not_before=NOW + 9)  # type: ignore[arg-type, attr-defined]


def test_ucan_entries_name_a_wrong_argument(ucan_keys: tuple[object, object]) -> None:
    """A key, command, proof, args, meta or token of another type was an AttributeError or
    TypeError from deep inside (``'int' object has no attribute 'did'``), ``parse_token(5)`` read
    five zero bytes as a token (an ``InvalidToken`` about trailing bytes), args or meta given as
    a list of pairs was signed as a map, and ``validate_invocation(executor=5)`` said the
    invocation was for another executor."""
    from autocodec.verify.ucan import InvalidToken, delegate, invoke, parse_token, revocation, validate_invocation

    issuer, audience = ucan_keys
    dlg = delegate(issuer, audience.did, "/wasm/run", now=NOW)  # type: ignore[arg-type, attr-defined]
    inv = invoke(audience, issuer.did, "/wasm/run", {}, now=NOW, proofs=[dlg])  # type: ignore[arg-type, attr-defined]
    to = audience.did  # type: ignore[attr-defined]
    calls = {
        "delegate needs a SigningKey, not int": lambda: delegate(5, to, "/wasm/run", now=NOW),  # type: ignore[arg-type]
        "delegate's command needs text .str., not int": lambda: delegate(issuer, to, 5, now=NOW),  # type: ignore[arg-type]
        "delegate's proof needs a UCAN Token, not CID": lambda: delegate(issuer, to, "/wasm/run", now=NOW,  # type: ignore[arg-type]
                                                                         proof=dlg.cid),
        "delegate's meta needs a mapping .a dict., not list": lambda: delegate(issuer, to, "/wasm/run", now=NOW,  # type: ignore[arg-type]
                                                                               meta=[("a", 1)]),
        "invoke's args needs a mapping .a dict., not list": lambda: invoke(audience, issuer.did, "/wasm/run",  # type: ignore[arg-type, attr-defined]
                                                                           [("a", 1)], now=NOW),
        "invoke's proofs needs an iterable of UCAN Tokens, not Token": lambda: invoke(  # type: ignore[arg-type]
            audience, issuer.did, "/wasm/run", {}, now=NOW, proofs=dlg),  # type: ignore[attr-defined]
        "each of invoke's proofs needs a UCAN Token, not CID": lambda: invoke(  # type: ignore[arg-type]
            audience, issuer.did, "/wasm/run", {}, now=NOW, proofs=[dlg.cid]),  # type: ignore[attr-defined, list-item]
        "invoke's cause needs a CID, not int": lambda: invoke(audience, issuer.did, "/wasm/run", {}, now=NOW,  # type: ignore[arg-type, attr-defined]
                                                              cause=5),
        "revocation's delegation needs a UCAN Token, not int": lambda: revocation(issuer, 5, now=NOW),  # type: ignore[arg-type]
        "parse_token needs bytes, not int": lambda: parse_token(5),  # type: ignore[arg-type]
        "parse_token needs bytes, not str": lambda: parse_token(dlg.data.hex()),  # type: ignore[arg-type]
        "validate_invocation needs a UCAN Token, not bytes": lambda: validate_invocation(inv.data, [dlg], NOW),  # type: ignore[arg-type]
        "each of validate_invocation's proofs needs a UCAN Token, not CID":
            lambda: validate_invocation(inv, [dlg.cid], NOW),  # type: ignore[list-item]
        "validate_invocation's executor needs text .str., not int": lambda: validate_invocation(inv, [dlg], NOW,
                                                                                                 executor=5),  # type: ignore[arg-type]
    }
    for message, call in calls.items():
        with pytest.raises(InvalidInput, match=message):
            call()
    assert validate_invocation(inv, [dlg], NOW).chain == (dlg,)
    assert parse_token(bytearray(dlg.data)) == dlg
    with pytest.raises(InvalidToken):  # attacker-supplied bytes stay an invalid token
        parse_token(bytes(5))


def test_a_module_over_the_size_cap_is_module_too_large_at_every_door() -> None:
    """A module over the cap, loaded or checked against its manifest, is a ``ModuleTooLarge`` (a
    ``ModuleRejected``) whose hint is about its size: it said "does not satisfy autocodec ABI
    v1", the hint of every refusal at load (noted by helper 64)."""
    from dataclasses import replace

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import ModuleRejected, ModuleTooLarge
    from autocodec.loader import inspect_module

    wasm = b"\0asm\x01\0\0\0" + bytes(2000)
    with pytest.raises(ModuleTooLarge, match="over the 1024-byte cap") as refused:
        inspect_module(wasm, limits=replace(DEFAULT_LIMITS.sandbox, max_module_bytes=1024))
    assert isinstance(refused.value, ModuleRejected)
    assert "build it smaller" in refused.value.hint and "ABI" not in refused.value.hint


def test_ipvm_entries_name_a_wrong_argument(tmp_path: Path) -> None:
    """``Executor(5)``, ``Executor.run(5)``, ``load_pipeline(5, {})``, ``executor_key(5)`` and
    ``ReceiptCache(5)`` were AttributeErrors from inside; ``Receipt.verify_block(5)`` said
    "decode needs bytes", naming another entry (noted by helper 63). ``Executor.run`` takes a
    CID's text as ``decode_block`` does."""
    from autocodec.ipvm import Executor, Receipt, ReceiptCache, executor_key, load_pipeline

    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        for call, said in ((lambda: Executor(5), "Executor's runtime needs Runtime, not int"),
                           (lambda: Executor(rt, key=b"k"), "Executor's key needs SigningKey, not bytes"),
                           (lambda: Executor(rt, trusted_executors="did:key:z"), "trusted_executors is a tuple"),
                           (lambda: load_pipeline(5, {}), "load_pipeline needs an Executor"),
                           (lambda: executor_key(5), "executor_key's home needs Home, not int"),
                           (lambda: ReceiptCache(rt), "ReceiptCache's store needs BlockStore, not Runtime"),
                           (lambda: Receipt.verify_block(5), "Receipt.verify_block needs bytes, not int")):
            with pytest.raises(InvalidInput, match=said):
                call()  # type: ignore[no-untyped-call]
        executor = Executor(rt)
        with pytest.raises(InvalidCID):
            executor.run(5)  # type: ignore[arg-type]
