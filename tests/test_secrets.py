"""Secrets and private data stay where they belong: a passphrase read from the environment
reaches no child process, a new home is private whatever the umask, and what a remote client
of ``serve`` receives names no local folder or credential. Real processes, real keys."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ._cli import run_cli

SECRET = "pa55-0f-helper-46"


def _spying_cli(home: Path, spy_log: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """``autocodec ARGS`` in a process whose ``sys.executable`` is a shell script that appends its
    environment to ``spy_log`` and then runs the real Python: every Python child autocodec starts
    (the compile child) is seen with the environment it was given."""
    spy = spy_log.with_suffix(".sh")
    spy.write_text(f'#!/bin/sh\nenv >> "{spy_log}"\necho "--- $*" >> "{spy_log}"\nexec "{sys.executable}" "$@"\n')
    spy.chmod(0o700)
    code = textwrap.dedent(f"""
        import sys
        sys.executable = {str(spy)!r}
        from autocodec.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, timeout=120,
                          env={**os.environ, **env, "AUTOCODEC_HOME": str(home)})


def test_a_passphrase_from_the_environment_reaches_no_child_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    # every module is compiled in a child process (the bounded compiler), so a run starts one
    (home / "config.toml").write_text("[limits.sandbox]\ninline_compile_bytes = 1\n")
    env = {"PASS": SECRET}
    gen = subprocess.run([sys.executable, "-m", "autocodec", "key", "gen", "enc", "--passphrase-env", "PASS"],
                         capture_output=True, timeout=60, env={**os.environ, **env, "AUTOCODEC_HOME": str(home)})
    assert gen.returncode == 0, gen.stderr
    spy_log = tmp_path / "spy.log"
    job = ("run", "ipld-select", "keys", "--arg", '{"b": 1, "a": 2}', "--arg", '""', "--key", "enc",
           "--passphrase-env", "PASS")
    proc = _spying_cli(home, spy_log, *job, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[1] == '["a","b"]'  # decrypted, signed and run
    seen = spy_log.read_text()
    assert "autocodec.loader._compile" in seen  # the spy saw the compile child start
    assert SECRET not in seen and "PASS=" not in seen


def _with_umask(mask: int) -> object:
    return lambda: os.umask(mask)


@pytest.mark.parametrize("mask", [0o000, 0o002])
def test_a_new_home_is_private_and_its_compiled_cache_works_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}  # keccak-256 is a Wasm hasher of the default set

    def hash_once() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "autocodec", "-v", "hash", "--hash", "keccak-256", "-"],
                              input=b"hi\n", capture_output=True, timeout=120, env=env, preexec_fn=_with_umask(mask))

    subprocess.run([sys.executable, "-m", "autocodec", "init"], check=True, capture_output=True, timeout=120,
                   env=env, preexec_fn=_with_umask(mask))
    for folder in (home, home / "keys", home / "cache", home / "cache" / "compiled"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    first, second = hash_once(), hash_once()
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    assert first.stdout == second.stdout
    assert b"compiled cache" not in first.stderr + second.stderr, first.stderr + second.stderr
    assert any(p.suffix == ".cwasm" for p in (home / "cache" / "compiled").iterdir())  # written, then reused


def test_an_existing_homes_group_writable_cache_folders_are_narrowed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    home.chmod(0o775)
    for folder in (home / "cache", home / "cache" / "compiled"):
        folder.chmod(0o775)
    run_cli(home, "init")
    assert stat.S_IMODE(home.stat().st_mode) == 0o775  # the user's own choice for the home folder stays
    for folder in (home / "cache", home / "cache" / "compiled"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def _one_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err and err.count("\n") == 1, (proc.returncode, err)
    return err


def test_key_refusals_are_one_line_that_says_what_to_do_and_shows_no_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    cli = [sys.executable, "-m", "autocodec"]
    subprocess.run([*cli, "key", "gen", "enc", "--passphrase-env", "PASS"], check=True, capture_output=True,
                   timeout=60, env={**env, "PASS": SECRET})
    pem = (home / "keys" / "enc.pem").read_bytes()
    delegate = ["ucan", "delegate", "--key", "enc", "--to", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "--cmd", "/x", "-o", str(tmp_path / "t.ucan"), "--passphrase-env", "PASS"]
    for flags in ([], ["-vv"], ["-vv", "--log-json"]):
        proc = subprocess.run([*cli, *flags, *delegate], capture_output=True, timeout=60, env={**env, "PASS": "wrong"})
        err = _one_line(proc)
        assert "wrong passphrase" in err and "passphrase the key was created with" in err, err
        assert "config.toml" not in err  # the passphrase is not in the configuration
        assert "wrong" not in err.replace("wrong passphrase", "") and SECRET not in err
        assert pem.split(b"\n")[1].decode() not in err  # nothing of the ciphertext
    # a key file replaced by a symbolic link is refused by what it is, as ssh refuses loose modes
    real = tmp_path / "elsewhere.pem"
    (home / "keys" / "enc.pem").rename(real)
    (home / "keys" / "enc.pem").symlink_to(real)
    err = _one_line(subprocess.run([*cli, *delegate], capture_output=True, timeout=60, env={**env, "PASS": SECRET}))
    assert "is a symbolic link" in err and "replace the link by the key file itself" in err, err
    assert not (tmp_path / "t.ucan").exists()


def test_a_gateway_url_with_credentials_is_refused_and_never_shown_to_a_client(tmp_path: Path) -> None:
    """Credentials in a gateway URL were never sent, but the URL named the source in every fetch
    error: ``serve`` handed ``user:token`` to any client asking for a block it lacks."""
    import urllib.error
    import urllib.request

    from ._kubo import free_port
    from ._serve_proc import ServeProcess

    home = tmp_path / "home"
    run_cli(home, "init")
    gateway = f"http://user:{SECRET}@127.0.0.1:{free_port()}"
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    proc = run_cli(home, "block", "get", missing, "--gateway", gateway, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and SECRET not in err, err
    assert "user name or password" in err and "***@127.0.0.1" in err
    try:
        with ServeProcess(home, tmp_path, "--gateway", gateway) as srv:  # the old code served
            for route in ("/ipfs/", "/explore/", "/decode/"):
                try:
                    with urllib.request.urlopen(srv.url + route + missing, timeout=60) as resp:
                        body = resp.read()
                except urllib.error.HTTPError as exc:
                    body = exc.read()
                assert SECRET.encode() not in body, (route, body)
    except RuntimeError as exc:  # serve refused to start, saying why in one line
        assert "user name or password" in str(exc) and SECRET not in str(exc)
    else:
        raise AssertionError("serve started with credentials in a gateway URL")


def test_a_logged_traceback_shows_no_local_variable() -> None:
    """structlog's JSON tracebacks list every frame's locals unless told not to: a passphrase or a
    key's bytes held by a failing function would be written to the log."""
    code = textwrap.dedent(f"""
        import sys
        from autocodec import log
        log.configure(level="info", json=sys.argv[1] == "json")
        def load(passphrase):
            raise ValueError("cannot decrypt")
        try:
            load(b"{SECRET}")
        except ValueError:
            log.get_logger("verify").error("failed", exc_info=True)
    """)
    for mode in ("json", "console"):
        proc = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "cannot decrypt" in proc.stderr and "load" in proc.stderr, proc.stderr
        assert SECRET not in proc.stderr, (mode, proc.stderr)


def test_the_admin_call_is_refused_to_web_pages_that_reach_it_from_loopback(tmp_path: Path) -> None:
    """A page the gateway serves from its own store (same origin), a site whose name was rebound to
    127.0.0.1, or any site posting across origins reaches /admin/refresh from the loopback address;
    a browser names the page's origin on every POST, so such a call is refused."""
    import json
    import urllib.error
    import urllib.request

    from ._serve_proc import ServeProcess

    home = tmp_path / "home"
    run_cli(home, "init")
    page = tmp_path / "page.html"
    page.write_text("<script>fetch('/admin/refresh', {method: 'POST'})</script>")
    cid = run_cli(home, "add", "-Q", str(page)).stdout.decode().strip()

    def post(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(url, method="POST", headers=headers, data=b"")
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    with ServeProcess(home, tmp_path) as srv:
        with urllib.request.urlopen(f"{srv.url}/ipfs/{cid}", timeout=60) as resp:  # the page, on this origin
            assert resp.headers["Content-Type"].startswith("text/html")
        for origin in (srv.url, "http://rebound.example:" + str(srv.port), "https://elsewhere.example", "null"):
            status, body = post(srv.url + "/admin/refresh", {"Origin": origin})
            assert status == 403, (origin, status, body)
            assert json.loads(body)["error"] == "CallerRefused"  # an AutocodecError's name, as every error body
        status, body = post(srv.url + "/admin/refresh", {})
        assert status == 200 and isinstance(json.loads(body), list), (status, body)


def test_a_directory_listing_escapes_names_and_carries_nosniff_and_csp(tmp_path: Path) -> None:
    """The gateway's listing is HTML of its own showing names from someone's DAG, like the explorer's
    pages: the names are escaped, and the explorer's second wall (nosniff, CSP) stands too."""
    import urllib.request

    from autocodec.serve._page_headers import CSP

    from ._serve_proc import ServeProcess

    home = tmp_path / "home"
    run_cli(home, "init")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "<img src=x onerror=alert(1)>").write_text("x")
    cid = run_cli(home, "add", "-Q", "-r", str(folder)).stdout.decode().strip()
    with ServeProcess(home, tmp_path) as srv:
        request = urllib.request.Request(f"{srv.url}/ipfs/{cid}/", headers={"Accept": "text/html"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            body, headers = resp.read().decode(), resp.headers
    assert headers["Content-Type"].startswith("text/html") and "Index of" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img" not in body
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Security-Policy"] == CSP
