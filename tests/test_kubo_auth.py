"""A Kubo node whose RPC API is behind ``API.Authorizations`` (Kubo v0.43.1, real daemon, offline
on loopback), reached through every way autocodec takes a node: a URL with ``USER:PASSWORD@``,
``$AUTOCODEC_NODE_AUTH`` (Kubo's ``AuthSecret`` form, as ``ipfs --api-auth`` takes it), a
library ``auth=``, and ``config.toml``. Wrong or missing credentials and a path outside
``AllowedPaths`` are one typed error naming the node; the secret is in no message, log record,
or file of the home. A node that redirects elsewhere never gets its credentials carried along.

Measured (that node): without or with a wrong ``Authorization`` Kubo answers
every path, ``version`` included, ``403`` with ``text/plain`` "Kubo RPC Access Denied: ...";
valid credentials get ``version`` always and other paths only under their ``AllowedPaths``
(the same 403 otherwise); the header must be ``Basic``/``Bearer`` as Kubo capitalises them.
"""

from __future__ import annotations

import base64
import http.server
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.errors import ConfigError, FetchError, NodeAccessDenied
from autocodec.sources import NodeSource, named_node, public_node
from autocodec.sources import _node as node_module
from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo

pytestmark = pytest.mark.ipfs

PASSWORD = "s3cr:et@h49/x"  # ':' '@' '/' must be percent-encoded in a URL, and decoded before use
URL_PASSWORD = "s3cr%3Aet%40h49%2Fx"
TOKEN = "tok-helper49-bearer"
READONLY = "ro-pass-helper49"
SECRETS = (PASSWORD, URL_PASSWORD, TOKEN, READONLY, base64.b64encode(f"alice:{PASSWORD}".encode()).decode())
DATA = b"behind API.Authorizations\n"


class Protected:
    def __init__(self, repo: KuboRepo, cid: CID) -> None:
        self.repo, self.cid = repo, cid
        self.port = repo.api_port
        self.multiaddr = repo.api_multiaddr

    def url(self, user: str = "alice", password: str = URL_PASSWORD) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    require_kubo()
    repo = KuboRepo.create(tmp_path_factory.mktemp("kubo-auth") / "repo")
    cid = CID.parse(repo.ipfs("block", "put", "--cid-codec", "raw", input=DATA).stdout.decode().strip())
    repo.set_config("API.Authorizations", {
        "alice": {"AuthSecret": f"basic:alice:{PASSWORD}", "AllowedPaths": ["/api/v0"]},
        "bob": {"AuthSecret": f"bearer:{TOKEN}", "AllowedPaths": ["/api/v0"]},
        "carol": {"AuthSecret": f"basic:carol:{READONLY}", "AllowedPaths": ["/api/v0/block/get", "/api/v0/dag/export"]},
        "dave": {"AuthSecret": f"basic:dave:{READONLY}", "AllowedPaths": ["/api/v0/name/resolve"]},
    })
    repo.ipfs("key", "gen", "--type", "ed25519", "names")
    repo.ipfs("name", "publish", "--allow-offline", "--key", "names", f"/ipfs/{cid}")
    repo.start(authorization=f"Bearer {TOKEN}")
    try:
        yield Protected(repo, cid)
    finally:
        repo.stop()


@pytest.fixture(autouse=True)
def _no_secret_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no node secret remembered by this process or in its environment."""
    monkeypatch.setattr(node_module, "_remembered", {})
    monkeypatch.setattr(node_module, "_env_taken", None)
    monkeypatch.setattr(node_module, "_named", set())
    monkeypatch.delenv("AUTOCODEC_NODE_AUTH", raising=False)


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked: {text!r}"


# --- what Kubo answers ------------------------------------------------------------------------


def test_kubo_answers_403_to_missing_and_wrong_credentials_and_to_paths_not_allowed(protected: Protected) -> None:
    def status(path: str, authorization: str | None) -> tuple[int, bytes]:
        headers = {"Authorization": authorization} if authorization else {}
        req = urllib.request.Request(f"{protected.repo.api_url}/api/v0/{path}", method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    carol = "Basic " + base64.b64encode(f"carol:{READONLY}".encode()).decode()
    denied = (403, b"Kubo RPC Access Denied: Please provide a valid authorization token as defined in the "
                   b"API.Authorizations configuration.\n")
    assert status("version", None) == denied
    assert status("version", "Bearer wrong") == denied
    assert status("version", f"bearer {TOKEN}") == denied  # the scheme as Kubo writes it, exactly
    assert status("version", carol)[0] == 200  # always allowed to valid credentials
    assert status("pin/ls", carol) == denied  # outside carol's AllowedPaths
    assert status(f"block/get?arg={protected.cid}", carol) == (200, DATA)


# --- the library --------------------------------------------------------------------------------


def test_url_credentials_are_percent_decoded_and_sent_as_basic(protected: Protected) -> None:
    source = NodeSource(protected.url(), limits=None)
    assert source.get(protected.cid) == DATA
    _clean(source.name + source.addr + source.url + repr(source))


def test_a_bearer_token_given_to_the_library(protected: Protected) -> None:
    assert NodeSource(protected.multiaddr, auth=f"bearer:{TOKEN}").get(protected.cid) == DATA
    assert NodeSource(protected.multiaddr, auth=TOKEN).get(protected.cid) == DATA  # a bare token: bearer, as Kubo
    assert NodeSource(protected.multiaddr, auth=f"basic:alice:{PASSWORD}").get(protected.cid) == DATA


def test_the_environment_secret_is_used_and_taken_out_of_the_environment(protected: Protected,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOCODEC_NODE_AUTH", f"bearer:{TOKEN}")
    named_node(protected.multiaddr)  # as the configuration, --node or a Runtime's node names it
    assert NodeSource(protected.multiaddr).get(protected.cid) == DATA
    assert "AUTOCODEC_NODE_AUTH" not in os.environ  # no child process started now inherits it
    assert NodeSource(protected.multiaddr).get(protected.cid) == DATA  # kept for this process


def test_the_environment_secret_goes_only_to_nodes_the_user_named(protected: Protected,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret is the user's own node's. It went to every node given without credentials: a
    set pinned (in another process) from a publisher's node at another address had the user's
    secret sent there at every pin update and refresh, over plain http here. Now only nodes
    named in this process get it; another node is asked without an Authorization header."""
    monkeypatch.setenv("AUTOCODEC_NODE_AUTH", f"bearer:{TOKEN}")
    other = _serve((404, {}))
    try:
        named_node(protected.multiaddr)
        assert NodeSource(protected.multiaddr).get(protected.cid) == DATA
        with pytest.raises(FetchError):  # a pinned location's node: not named here
            NodeSource(f"/ip4/127.0.0.1/tcp/{other.server_address[1]}/http").get(protected.cid)
        assert other.seen and all("Authorization" not in seen for seen in other.seen), other.seen
    finally:
        other.shutdown()


def test_no_credentials_is_one_typed_error_naming_the_node(protected: Protected) -> None:
    with pytest.raises(NodeAccessDenied) as caught:
        NodeSource(protected.multiaddr).get(protected.cid)
    assert protected.multiaddr in caught.value.message and "none were given" in caught.value.message
    assert "AUTOCODEC_NODE_AUTH" in caught.value.hint and "--" not in caught.value.one_line()


def test_wrong_credentials_name_the_node_never_the_secret(protected: Protected) -> None:
    for source in (NodeSource(protected.url(password="wrong%40pw")),
                   NodeSource(protected.multiaddr, auth="bearer:wrong-token")):
        with pytest.raises(NodeAccessDenied) as caught:
            source.get(protected.cid)
        assert "refused the" in caught.value.message and protected.multiaddr in caught.value.message
        assert "wrong" not in caught.value.one_line()
        _clean(caught.value.one_line())


def test_a_path_outside_allowed_paths_is_told_apart_from_wrong_credentials(protected: Protected) -> None:
    carol = NodeSource(protected.url("carol", READONLY))
    assert carol.get(protected.cid) == DATA  # block/get is allowed
    with pytest.raises(NodeAccessDenied) as caught:
        carol.put_blocks([(protected.cid, DATA)])
    assert "not among the AllowedPaths" in caught.value.message and "/api/v0/block/put" in caught.value.hint
    with pytest.raises(NodeAccessDenied, match="not among the AllowedPaths"):
        carol.pins()
    _clean(caught.value.one_line())


def test_public_node_strips_the_url_and_keeps_its_credentials_for_this_process(protected: Protected) -> None:
    shown = public_node(protected.url())
    assert shown == f"http://127.0.0.1:{protected.port}"
    assert NodeSource(shown).get(protected.cid) == DATA  # same node, credentials remembered
    assert NodeSource(protected.multiaddr).get(protected.cid) == DATA  # the same node by its multiaddr
    assert public_node(protected.multiaddr) == protected.multiaddr


def test_runtime_settings_hold_no_credentials_and_fetch_with_them(protected: Protected, tmp_path: Path) -> None:
    from autocodec.registry import Runtime

    with Runtime(tmp_path / "home", node=protected.url(), default_set=False) as rt:
        assert rt.settings.node == f"http://127.0.0.1:{protected.port}"
        assert rt.get(protected.cid) == DATA


def test_a_pin_an_older_release_stored_with_url_credentials_is_listed_without_them(tmp_path: Path) -> None:
    """Releases before this one kept ``pin add --node URL`` as given, credentials included (they
    were then dropped on the way to the node, so an unprotected node served the set): ``pin ls``
    and ``pin update`` printed the stored URL, password and all."""
    home = tmp_path / "home"
    run_cli(home, "init")
    stored = f"http://alice:{URL_PASSWORD}@127.0.0.1:9"  # nothing listens on the discard port
    conn = sqlite3.connect(home / "store.sqlite")
    with conn:
        conn.execute("UPDATE registry_pins SET location_kind = 'node', location = ?, node = ?", (stored, stored))
    conn.close()
    listed = _cli(home, "pin", "ls")
    assert listed.returncode == 0 and b"node:http://127.0.0.1:9" in listed.stdout, listed
    updated = _cli(home, "pin", "update")
    _clean((listed.stdout + listed.stderr + updated.stdout + updated.stderr).decode())


def test_malformed_credentials_and_secrets_are_config_errors_without_the_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        NodeSource(f"http://{TOKEN}@127.0.0.1:5001")  # a user with no password: a token belongs in the env
    _clean(caught.value.one_line())
    with pytest.raises(ConfigError) as caught:
        NodeSource(f"http://alice:{URL_PASSWORD}@127.0.0.1")  # no port
    _clean(caught.value.one_line())
    for secret in (f"digest:{TOKEN}", f"bearer:{TOKEN}\r\nX: y", ""):
        with pytest.raises(ConfigError) as caught:
            NodeSource("/ip4/127.0.0.1/tcp/5001", auth=secret)
        _clean(caught.value.one_line())


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST with ``server.answer`` (status, headers) and records the request's headers."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        status, headers = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(answer: tuple[int, dict[str, str]]) -> http.server.HTTPServer:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.answer = answer  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_redirect_from_the_node_is_not_followed_and_carries_no_credentials() -> None:
    elsewhere = _serve((200, {}))
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/api/v0/block/get"
    node = _serve((307, {"Location": target}))
    try:
        source = NodeSource(f"http://alice:{URL_PASSWORD}@127.0.0.1:{node.server_address[1]}")
        with pytest.raises(FetchError) as caught:
            source.get(CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"))
        assert not isinstance(caught.value, NodeAccessDenied)
        assert node.seen and node.seen[0]["Authorization"].startswith("Basic ")  # the node itself gets them
        assert elsewhere.seen == []  # the other host was never asked
        _clean(caught.value.one_line())
    finally:
        node.shutdown()
        elsewhere.shutdown()


# --- the command line ---------------------------------------------------------------------------


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "autocodec", *args], capture_output=True, timeout=120,
                          env={**os.environ, "AUTOCODEC_HOME": str(home), **(env or {})})


def test_cli_block_get_with_url_credentials_environment_and_config(protected: Protected, tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    got = _cli(home, "block", "get", str(protected.cid), "--node", protected.url())
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", str(protected.cid))
    got = _cli(home, "block", "get", str(protected.cid), "--node", protected.multiaddr,
               env={"AUTOCODEC_NODE_AUTH": f"bearer:{TOKEN}"})
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", str(protected.cid))
    (home / "config.toml").write_text(f'[sources]\nnode = "{protected.url()}"\n')
    got = _cli(home, "block", "get", str(protected.cid))
    assert got.returncode == 0 and got.stdout == DATA, got.stderr


def test_cli_refusals_are_one_line_naming_the_node_and_no_secret_in_logs(protected: Protected,
                                                                        tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    cases = [
        ((protected.multiaddr,), "none were given"),
        ((protected.url(password="wrong"),), "refused the credentials in its URL"),
        ((protected.multiaddr, {"AUTOCODEC_NODE_AUTH": "bearer:wrong"}), "refused the secret in AUTOCODEC_NODE_AUTH"),
    ]
    for given, expected in cases:
        node, env = given[0], (given[1] if len(given) > 1 else {})
        assert isinstance(env, dict)
        quiet = _cli(home, "block", "get", str(protected.cid), "--node", node, env=env)
        lines = quiet.stderr.decode().splitlines()
        assert quiet.returncode == 1 and len(lines) == 1, quiet.stderr
        assert lines[0].startswith("autocodec: NodeAccessDenied: ") and expected in lines[0], lines
        assert protected.multiaddr in lines[0]
    # the same with every log record, as JSON, at debug
    loud = _cli(home, "block", "get", str(protected.cid), "--node", protected.url(password="wrong"),
                env={"AUTOCODEC_LOG": "json", "AUTOCODEC_LOG_LEVEL": "debug"})
    assert loud.returncode == 1
    _clean(loud.stderr.decode() + loud.stdout.decode())


def test_cli_malformed_url_credentials_are_a_config_error_not_dropped(protected: Protected, tmp_path: Path) -> None:
    """``--node http://TOKEN@HOST:PORT`` (and the same in config.toml) lost its credentials on the
    way (``public_node`` dropped what it could not read), so the node's refusal said none were
    given; the library's own NodeSource said what was wrong."""
    home = tmp_path / "home"
    run_cli(home, "init")
    given = f"http://{TOKEN}@127.0.0.1:{protected.port}"
    got = _cli(home, "block", "get", str(protected.cid), "--node", given)
    lines = got.stderr.decode().splitlines()
    assert got.returncode == 1 and len(lines) == 1, got.stderr
    assert lines[0].startswith("autocodec: ConfigError: ") and "not USER:PASSWORD" in lines[0], lines
    _clean(lines[0])
    (home / "config.toml").write_text(f'[sources]\nnode = "{given}"\n')
    got = _cli(home, "block", "get", str(protected.cid))
    lines = got.stderr.decode().splitlines()
    assert got.returncode == 1 and len(lines) == 1 and "not USER:PASSWORD" in lines[0], got.stderr
    _clean(lines[0])


def test_cli_name_publish_to_node_with_credentials_and_a_path_not_allowed(protected: Protected,
                                                                          tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    run_cli(home, "key", "gen", "pub")
    value = f"/ipfs/{protected.cid}"
    ok = _cli(home, "name", "publish", "--resolve=false", value, "--key", "pub", "--to-node", protected.url())
    assert ok.returncode == 0, ok.stderr
    name = ok.stdout.decode().split("Published to ")[1].split(":")[0]
    resolved = NodeSource(protected.multiaddr, auth=f"bearer:{TOKEN}").resolve_name(f"/ipns/{name}")
    assert resolved == value  # Kubo holds the record autocodec put
    refused = _cli(home, "name", "publish", "--resolve=false", value, "--key", "pub", "--to-node", protected.url("carol", READONLY))
    lines = refused.stderr.decode().splitlines()
    assert refused.returncode == 1 and len(lines) == 1, refused.stderr
    assert "not among the AllowedPaths" in lines[0] and "/api/v0/name/put" in lines[0]
    _clean(refused.stderr.decode())
    for path in home.rglob("*"):  # nothing the home keeps names a secret
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret.encode() in data for secret in SECRETS), path


def test_credentials_refused_for_name_get_are_said_not_replaced_by_the_nodes_word(protected: Protected,
                                                                                 tmp_path: Path) -> None:
    """A node that will not hand out a name's record because the credentials do not allow
    ``name/get`` (only ``name/resolve``): the lookup fell back to the node's own, unverified
    answer, as it does for an offline node, and the user never learnt the credentials were short.
    Now it is the ``NodeAccessDenied`` naming ``name/get``. (Found by helper 58.)"""
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.home import Home
    from autocodec.registry._ipns import IpnsNames
    from autocodec.store import BlockStore

    listed = protected.repo.ipfs("--api-auth", f"bearer:{TOKEN}", "key", "list", "-l").stdout.decode()
    name = next(line.split()[0] for line in listed.splitlines() if line.split()[1:] == ["names"])
    dave = f"http://dave:{READONLY}@127.0.0.1:{protected.repo.api_url.rsplit(':', 1)[1]}"
    store = BlockStore.open(Home.resolve(tmp_path / "home").init(), limits=DEFAULT_LIMITS)
    try:
        with pytest.raises(NodeAccessDenied, match="name/get") as refused:
            IpnsNames(store, DEFAULT_LIMITS).lookup(name, node=dave)
    finally:
        store.close()
    _clean(refused.value.one_line())
