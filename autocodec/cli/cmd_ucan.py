"""``autocodec ucan validate|inspect|delegate|revoke|revoked``: UCAN 1.0 tokens.

- ``validate TOKEN [--proof FILE]... [--at UNIX_TIME] [--executor DID]``: exit 0 with
  ``valid <kind> <CID>``, or 1 with the UCAN error's name (``InvalidClaim``, ``Expired``, ...). A
  delegation revoked in this home by its issuer or subject is ``Revoked``; one revoked only by
  principals upstream is valid in the chains not through them, so the line adds ``(revoked only in
  the chains through DID[, DID...])``.
- ``inspect TOKEN``: the token's payload as DAG-JSON, and its CID.
- ``delegate --key NAME [--passphrase-env VAR] --to DID --cmd CMD [--policy JSON]
  [--expires SECONDS|never] [--proof FILE] -o FILE``: a delegation (subject: the issuer, or the proof's subject).
- ``revoke DELEGATION --key NAME [--passphrase-env VAR] [--proof FILE]... [--authority FILE]... [-o FILE] [--to URL]``: sign a
  ``/ucan/revoke`` invocation and record it in this home (every process of the home refuses the chain at
  once), or with ``--to`` deliver it to the executor at URL (``POST /ipvm/revoke``), which records it.
- ``revoked``: list the revocations recorded in this home.

A TOKEN is a file (``-``: stdin) holding the token's DAG-CBOR bytes, or the same bytes as
base64 / base64url text (in lines, as ``base64`` writes it, or not), or DAG-JSON
``{"/": {"bytes": "..."}}``.
"""

from __future__ import annotations

import argparse
import time
from ._actions import command_with_actions
from ._runtime import add_passphrase_env
from typing import Any
from ._options import nonempty

EPILOG = """examples:
  autocodec ucan delegate --key alice --to did:key:z6Mk... --cmd /wasm/run --expires 3600 -o bob.ucan
  autocodec ucan delegate --key bob --to did:key:z6Mk... --cmd /wasm/run --proof bob.ucan -o carol.ucan
  autocodec ucan validate invocation.ucan --proof bob.ucan --proof carol.ucan --at 1767225600
  autocodec ucan revoke carol.ucan --key bob --proof bob.ucan
  autocodec ucan revoke carol.ucan --key bob --proof bob.ucan --to http://alice.example:8080
"""

_MAX_TOKEN_FILE = 4 << 20


def register(sub: Any) -> None:
    usub = command_with_actions(sub, "ucan", "validate, inspect, issue and revoke UCAN 1.0 tokens", EPILOG)
    val = usub.add_parser("validate", help="validate a delegation or an invocation with its proofs")
    val.add_argument("token", metavar="TOKEN", help="token file (- for stdin): bytes, base64 or DAG-JSON bytes")
    val.add_argument("--proof", metavar="FILE", action="append", default=[], help="a delegation (repeatable)")
    val.add_argument("--at", metavar="UNIX_TIME", type=int, help="validate at this time (default: now)")
    val.add_argument("--executor", metavar="DID", type=nonempty("the executor's DID"), help="also require the invocation to be addressed to DID")
    val.set_defaults(func=run_validate)
    ins = usub.add_parser("inspect", help="print a token's payload as DAG-JSON")
    ins.add_argument("token", metavar="TOKEN")
    ins.set_defaults(func=run_inspect)
    dlg = usub.add_parser("delegate", help="issue a delegation")
    dlg.add_argument("--key", required=True, metavar="NAME", help="the issuer's key in this home")
    add_passphrase_env(dlg)
    dlg.add_argument("--to", required=True, metavar="DID", help="the audience (did:key)")
    dlg.add_argument("--cmd", required=True, metavar="CMD", help="the command delegated, e.g. /wasm/run")
    dlg.add_argument("--policy", metavar="JSON", default="[]", help='policy statements (DAG-JSON: {"/": CID} is a link), e.g. [["==", ".fn", "f"]] '
                     '(default [], no constraint)')
    dlg.add_argument("--expires", metavar="SECONDS", default="3600", help="lifetime in seconds, or 'never' (default 3600)")
    dlg.add_argument("--not-before", metavar="UNIX_TIME", type=int, help="not valid before this time")
    dlg.add_argument("--proof", metavar="FILE", help="re-delegate: the delegation this key received")
    dlg.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the token")
    dlg.set_defaults(func=run_delegate)
    rev = usub.add_parser("revoke", help="revoke a delegation (recorded in this home)")
    rev.add_argument("token", metavar="DELEGATION", help="the delegation's token file")
    rev.add_argument("--key", required=True, metavar="NAME", help="its issuer's (or an upstream issuer's) key")
    add_passphrase_env(rev)
    rev.add_argument("--proof", metavar="FILE", action="append", default=[],
                     help="the proofs above the delegation, when an upstream issuer revokes")
    rev.add_argument("--authority", metavar="FILE", action="append", default=[],
                     help="a /ucan/revoke delegation this key acts on, root first (repeatable), when a revoker "
                          "delegated its authority to revoke")
    rev.add_argument("-o", "--output", metavar="FILE", help="also write the revocation invocation here")
    rev.add_argument("--to", metavar="URL", type=nonempty("the executor's URL"),
                     help="deliver the revocation to the executor at URL (POST /ipvm/revoke) instead of this home")
    rev.set_defaults(func=run_revoke)
    ls = usub.add_parser("revoked", help="list the delegations revoked in this home")
    ls.set_defaults(func=run_revoked)


def read_token(path: str) -> Any:
    """Parse a token file: raw DAG-CBOR bytes, base64(url) text (wrapped in lines or not), or
    DAG-JSON bytes."""
    import base64
    import binascii
    import json

    from ..verify.ucan import InvalidToken, parse_token
    from ._io import read_input

    data = read_input(path, _MAX_TOKEN_FILE, "token", hint="check that the file is a UCAN token (DAG-CBOR bytes or base64)")
    if data[:1] in (b"\x82",):
        return parse_token(data)
    text = data.removeprefix(b"\xef\xbb\xbf").strip()  # a UTF-8 byte-order mark an editor wrote
    if text.startswith(b"{"):
        try:
            text = json.loads(text)["/"]["bytes"].encode("ascii")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidToken(f"{path} is JSON but not DAG-JSON bytes {{\"/\": {{\"bytes\": ...}}}}") from None
    text = b"".join(text.split())  # base64 as `base64` and openssl write it: lines of 76 (or 64)
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), altchars=b"-_" if b"-" in text or b"_" in text else None,
                               validate=True)
    except (binascii.Error, ValueError):
        raise InvalidToken(f"{path} is neither a DAG-CBOR token nor base64 of one") from None
    return parse_token(raw)


def _now(at: int | None) -> int:
    """``--at`` (a Unix time from 0 to 2^53-1, as a UCAN holds) or the current time."""
    from ..errors import InvalidInput

    if at is None:
        return int(time.time())
    if not 0 <= at <= _MAX_TIME:
        raise InvalidInput(f"--at {at} is not a Unix time from 0 to 2^53-1", hint="give whole seconds since 1970")
    return at


def _revocations() -> Any:
    """The home's revocation table, if the home exists (validation never creates a home)."""
    from ..home import Home
    from ..verify.ucan import Revocations

    home = Home.resolve()
    return Revocations(home.db_path) if home.db_path.exists() else None


def run_validate(args: argparse.Namespace) -> int:
    from ..verify.ucan import validate_delegation, validate_invocation
    from ._io import write_line

    token = read_token(args.token)
    proofs = [read_token(p) for p in args.proof]
    now = _now(args.at)
    scoped = ""
    if token.kind == "dlg":
        validate_delegation(token, now)
        scoped = _revoked_where(token)
    else:
        revocations = _revocations()
        validate_invocation(token, proofs, now, executor=args.executor,
                            revokers=revocations.revokers if revocations is not None else None)
    write_line(f"valid {token.what}{scoped}")
    return 0


def _revoked_where(delegation: Any) -> str:
    """``Revoked`` when the home's revocations void ``delegation`` in every chain (its issuer or
    subject revoked it); else what the report adds: the chains it is revoked in, when someone
    upstream revoked it (those through that revoker only: ucan-wg/revocation, "Scope")."""
    from ..verify.ucan import Revoked, revoked_in_every_chain

    revocations = _revocations()
    revokers = sorted(revocations.revokers(delegation.cid)) if revocations is not None else []
    if revoked_in_every_chain(delegation, revokers):
        by = next(r for r in revokers if r in (delegation.iss, delegation.sub))
        role = "issuer" if by == delegation.iss else "subject"
        raise Revoked(f"delegation {delegation.cid} was revoked by its {role} {by}: no chain holding it is valid")
    if not revokers:
        return ""
    return f" (revoked only in the chains through {', '.join(revokers)})"


def run_inspect(args: argparse.Namespace) -> int:
    from ..builtin import encode
    from ._io import write_line

    token = read_token(args.token)
    write_line(encode({"cid": token.cid, "tag": token.tag, "payload": dict(token.payload)}, "dag-json").decode())
    return 0


def _load_key(name: str, passphrase_env: str | None) -> Any:
    """The signing key ``name`` of the home (``load_keys``: a home without keys is not created)."""
    from ._runtime import load_keys

    return load_keys([name], passphrase_env)[0]


def run_delegate(args: argparse.Namespace) -> int:
    from ..builtin import decode
    from ..errors import AutocodecError, InvalidInput
    from ..verify.ucan import check_did, delegate
    from ._io import refuse_an_input, write_line

    try:  # DAG-JSON, so {"/": CID} in a statement is a link, as in the token (docs/invocations.md)
        policy = decode(args.policy.encode("utf-8"), "dag-json")
    except AutocodecError as exc:
        raise InvalidInput(f"--policy is not DAG-JSON: {exc.message}",
                           hint='e.g. [["==", ".function", "decode"]]') from None
    if not isinstance(policy, list):
        raise InvalidInput(f"--policy is a JSON {_json_kind(policy)}, not a list of statements",
                           hint='e.g. [["==", ".function", "decode"]], or [] for no conditions')
    check_did(args.to, "audience (--to)")
    refuse_an_input(args.output, [args.proof])  # the re-delegation over its only proof
    now = int(time.time())
    expires = _lifetime(args.expires, now)
    proof = read_token(args.proof) if args.proof is not None else None
    _check_not_before(args.not_before, _expiry(now, expires, proof))
    token = delegate(_load_key(args.key, args.passphrase_env), args.to, args.cmd, now=now, policy=policy,
                     expires_in=expires, not_before=args.not_before, proof=proof)
    _write(args.output, token.data)
    write_line(str(token.cid))
    return 0


_MAX_TIME = 2**53 - 1
"""The latest time a UCAN may carry (its ``exp``, ``nbf`` and ``iat`` are 53-bit integers)."""


def _lifetime(text: str, now: int) -> int | None:
    """``--expires``: seconds from ``now`` (None: never), positive and ending by ``_MAX_TIME``."""
    from ..errors import InvalidInput

    if text == "never":
        return None
    try:
        seconds = int(text)
    except ValueError:
        raise InvalidInput(f"--expires {text!r} is not a number of seconds or 'never'") from None
    if seconds <= 0:
        raise InvalidInput(f"--expires {text} would issue a delegation that is already expired",
                           hint="give a positive number of seconds, or 'never'")
    if seconds > _MAX_TIME - now:
        raise InvalidInput(f"--expires {text} ends after the latest time a UCAN can hold (2^53-1, Unix time)",
                           hint=f"give at most {_MAX_TIME - now} seconds, or 'never'")
    return seconds


def _expiry(now: int, expires: int | None, proof: Any) -> int | None:
    """When the delegation will expire: its own lifetime, cut to its proof's expiry."""
    ends = [t for t in (None if expires is None else now + expires, proof.exp if proof is not None else None)
            if t is not None]
    return min(ends) if ends else None


def _check_not_before(not_before: int | None, expiry: int | None) -> None:
    """``--not-before``: a Unix time from 0 to ``_MAX_TIME``, before the delegation expires."""
    from ..errors import InvalidInput

    if not_before is None:
        return
    if not 0 <= not_before <= _MAX_TIME:
        raise InvalidInput(f"--not-before {not_before} is not a Unix time from 0 to 2^53-1",
                           hint="give the time in seconds since 1970, or leave it out")
    if expiry is not None and not_before >= expiry:
        raise InvalidInput(f"--not-before {not_before} is not before the delegation expires ({expiry}): "
                           "it would never be valid", hint="give an earlier time, or a longer --expires")


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _write(path: str, data: bytes) -> None:
    from ._io import open_output

    with open_output(path) as f:  # atomic for a file; devices and FIFOs written through
        f.write(data)


def run_revoke(args: argparse.Namespace) -> int:
    from ..home import Home
    from ._runtime import home_limits
    from ..verify.ucan import InvalidToken, Revocations, revocation
    from ._io import write_line

    if args.output is not None:
        from ._io import output_target, refuse_an_input

        output_target(args.output)  # a path that cannot be written is refused before the revocation is recorded
        refuse_an_input(args.output, [args.token, *args.proof, *args.authority])
    delegation = read_token(args.token)
    if delegation.kind != "dlg":
        raise InvalidToken(f"{args.token} is not a delegation")
    proofs = tuple(read_token(p) for p in args.proof)
    authority = tuple(read_token(p) for p in args.authority)
    token = revocation(_load_key(args.key, args.passphrase_env), delegation, now=int(time.time()), proofs=proofs,
                       authority=authority)
    if args.to is not None:
        return _deliver(args, token, delegation, proofs, authority)
    home = Home.resolve().init()
    limits = home_limits(home)  # the busy timeout a store of this home waits
    Revocations(home.db_path, busy_timeout_ms=limits.store.busy_timeout_ms).record(token, delegation, proofs,
                                                                                   authority=authority)
    if args.output is not None:
        _write(args.output, token.data)
    write_line(f"revoked {delegation.cid} (revocation {token.cid})")
    return 0


def _deliver(args: argparse.Namespace, token: Any, delegation: Any, proofs: tuple[Any, ...],
             authority: tuple[Any, ...]) -> int:
    """``revoke --to URL``: the revocation sent to an executor (which checks and records it), not to this home."""
    from ..ipvm._remote import send_revocation
    from ._io import write_line

    answer = send_revocation(args.to, token, delegation, proofs, authority=authority)
    if args.output is not None:
        _write(args.output, token.data)
    state = "revoked" if answer.get("new") else "already revoked"
    write_line(f"{state} {delegation.cid} at {args.to} (revocation {token.cid})")
    return 0


def run_revoked(args: argparse.Namespace) -> int:
    from ._io import write_line

    revocations = _revocations()
    for delegation, revoker, at in revocations.list() if revocations is not None else []:
        write_line(f"{delegation}\t{revoker}\t{at}")
    return 0
