"""Real git repositories made with the ``git`` binary, as a corpus of git objects.

``build_corpus(root)`` makes, under ``root``:

- a main repository with everything ``git`` itself writes: commits signed with a throw-away gpg
  key (``gpg --batch``) and with an SSH key (``ssh-keygen``), annotated tags signed both ways,
  merges of signed tags (``mergetag`` headers; the merge commit itself signed), an octopus merge,
  a submodule (gitlink entry + ``.gitmodules``), symlinks, executable files, non-UTF-8 file names,
  a latin-1 commit (``i18n.commitEncoding``), an empty-message commit and tag, a tag of a tag, a
  tag of a tree and of a blob, notes, a stash, and a huge flat tree;
- objects ``git`` accepts but does not write itself (``git hash-object --literally``): identities
  with no name, two spaces or no date, headers out of order or unknown, a commit with no blank
  line, an x509-style signature, unsorted and duplicate tree entries, a tag with no tagger.

Invariants: nothing is read from the user's configuration (``GIT_CONFIG_GLOBAL=/dev/null``,
``HOME`` and ``GNUPGHOME`` inside ``root``); any gpg-agent started is stopped by ``close()``;
signing steps are skipped (and listed in ``Corpus.skipped``) when gpg or ssh-keygen is missing.
Every object is read back with ``git cat-file --batch`` and checked against its object id.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autocodec.cid import CID
from tests.conftest import WASM_SRC

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
WASM = WASM_SRC / "git-raw" / "git-raw.wasm"  # the git-raw codec module
IDENT = "Ada Lovelace <ada@example.org> 1700000000 +0100"


@pytest.fixture(scope="module")
def codec():  # noqa: ANN201 - autocodec.loader's codec adapter
    """The git-raw module, loaded once per test module (``codec = _git_corpus.codec`` in a module)."""
    from autocodec.loader import Sandbox

    return Sandbox().load(WASM.read_bytes()).codec()


def block_of(kind: str, body: bytes) -> bytes:
    """The whole object as git hashes it: ``"<kind> <size>\\0" + body``."""
    return f"{kind} {len(body)}\0".encode() + body


def cat_objects(path: Path, oids: list[str] | None = None, *,
                env: dict[str, str] | None = None) -> dict[str, tuple[str, bytes]]:
    """The objects ``oids`` (every object where None) of the repository at ``path``, read with one
    ``git cat-file --batch``: oid -> (kind, whole block), in the order asked."""
    def git(*args: str, stdin: bytes | None = None) -> bytes:
        return subprocess.run(["git", "-C", str(path), *args], input=stdin, capture_output=True, check=True,
                              env=env).stdout

    if oids is None:
        oids = git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").decode().split()
    batch = git("cat-file", "--batch", stdin="\n".join(oids).encode() + b"\n")
    out: dict[str, tuple[str, bytes]] = {}
    pos = 0
    while pos < len(batch):
        eol = batch.index(b"\n", pos)
        oid, kind, size = batch[pos:eol].decode().split()
        out[oid] = (kind, block_of(kind, batch[eol + 1 : eol + 1 + int(size)]))
        pos = eol + 2 + int(size)
    return out


def one_commit(repo: Path, message: str, files: dict[str, str], *, name: str, email: str,
               date: str) -> tuple[CID, bytes]:
    """A new repository at ``repo`` with one commit of ``files`` (name: text), ``name`` <``email``>
    its author and committer at ``date``: the commit's git-raw CID and its whole block, sha1-checked."""
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for rel, text in files.items():
        (repo / rel).write_text(text)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", message], check=True, env=env)
    oid = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    kind, block = cat_objects(repo, [oid])[oid]
    assert kind == "commit" and hashlib.sha1(block).hexdigest() == oid
    return CID.build(0x78, b"\x11\x14" + bytes.fromhex(oid)), block


def go_lossy(b: bytes) -> str:
    """A Go string as Go's DAG-JSON writer shows it: U+FFFD for each byte not starting valid UTF-8."""
    out, i = [], 0
    while i < len(b):
        c = b[i]
        n = 1 if c < 0x80 else 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
        if n:
            try:
                out.append(b[i : i + n].decode("utf-8"))
                i += n
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1
    return "".join(out)


class Git:
    """A repository driven through the real binary, isolated from the user's configuration."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        path.mkdir(parents=True, exist_ok=True)
        self("init", "-q", "-b", "main")

    def __call__(self, *args: str | bytes, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        proc = subprocess.run(["git", *args], cwd=self.path, input=stdin, capture_output=True,
                              env={**self.env, **(env or {})})
        if proc.returncode:
            raise RuntimeError(f"git {args!r} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def oid(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        return self(*args, stdin=stdin, env=env).decode().strip()

    def write(self, rel: str | bytes, data: bytes, mode: int = 0o644) -> None:
        raw = rel if isinstance(rel, bytes) else rel.encode()
        p = Path(os.fsdecode(os.fsencode(self.path) + b"/" + raw))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        p.chmod(mode)

    def commit(self, message: str, *args: str, env: dict[str, str] | None = None) -> str:
        self("add", "-A")
        self("commit", "-q", "--allow-empty", "-m", message, *args, env=env)
        return self.oid("rev-parse", "HEAD")

    def literal(self, kind: str, body: bytes) -> str:
        """Store an object git would not write itself (its checks skipped)."""
        return self.oid("hash-object", "-t", kind, "--literally", "-w", "--stdin", stdin=body)

    def objects(self) -> dict[str, tuple[str, bytes]]:
        """Every object of the repository: oid -> (kind, whole block), sha1-checked."""
        out = cat_objects(self.path, env=self.env)
        for oid, (_, block) in out.items():
            if hashlib.sha1(block).hexdigest() != oid:
                raise AssertionError(f"{oid}: block does not hash to its id")
        return out


@dataclass
class Corpus:
    """The objects of every repository made, with names for the interesting ones."""

    objects: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    named: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    gnupghome: Path | None = None

    def close(self) -> None:
        if self.gnupghome is not None and shutil.which("gpgconf"):
            subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(self.gnupghome)},
                           capture_output=True, check=False)


def _base_env(root: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "1700000000 +0100",
        "GIT_COMMITTER_NAME": "Charles Babbage",
        "GIT_COMMITTER_EMAIL": "cb@example.org",
        "GIT_COMMITTER_DATE": "1700000100 -0530",
        "LC_ALL": "C",
    }


def _gpg_key(root: Path, env: dict[str, str]) -> str | None:
    """A throw-away ed25519 signing key in ``root/gnupg``; its fingerprint, or None without gpg."""
    if not shutil.which("gpg"):
        return None
    home = root / "gnupg"
    home.mkdir(mode=0o700)
    env["GNUPGHOME"] = str(home)
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "Test Signer <signer@example.org>", "ed25519", "sign", "never"],
                   env=env, capture_output=True, check=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env,
                             capture_output=True, check=True).stdout.decode()
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def _ssh_key(root: Path) -> Path | None:
    if not shutil.which("ssh-keygen"):
        return None
    key = root / "ssh" / "id_ed25519"
    key.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "signer@example.org", "-f", str(key)],
                   capture_output=True, check=True)
    return key


def build_corpus(root: Path, huge_tree: int = 3000) -> Corpus:
    """Make the repositories under ``root`` and return every object of them."""
    corpus = Corpus()
    env = _base_env(root)
    fpr = _gpg_key(root, env)
    if fpr is None:
        corpus.skipped.append("gpg signing (no gpg binary)")
    else:
        corpus.gnupghome = root / "gnupg"
    ssh = _ssh_key(root)
    if ssh is None:
        corpus.skipped.append("ssh signing (no ssh-keygen binary)")
    gpg_cfg = ["-c", f"user.signingkey={fpr}", "-c", "gpg.format=openpgp"] if fpr else []
    ssh_cfg = ["-c", f"user.signingkey={ssh}.pub", "-c", "gpg.format=ssh"] if ssh else []
    n = corpus.named

    # A submodule's own repository.
    sub = Git(root / "sub", env)
    sub.write("lib.c", b"int lib(void) { return 1; }\n")
    sub.commit("sub: first")

    g = Git(root / "main", env)
    g.write("README.md", b"# demo\n")
    g.write("bin/run.sh", b"#!/bin/sh\necho run\n", 0o755)
    g.write("src/deep/er/file.txt", b"deep\n")
    g.write("foo.txt", b"f\n")
    g.write("foo-bar", b"fb\n")
    g.write("foo/inner", b"i\n")
    g.write("data.bin", bytes(range(256)) * 3)
    g.write("empty", b"")
    g.write("crlf.txt", b"line\r\nline\r\n")
    g.write("caf\u00e9 \u2603.txt", "utf-8 name\n".encode())
    os.symlink("README.md", g.path / "link")
    os.symlink("../no/such/target", g.path / "dangling")
    g.write(b"caf\xe9.txt", b"latin-1 name\n")
    g.write(b"bad\xe2\x82name", b"truncated utf-8 sequence in a name\n")
    n["root_commit"] = g.commit("initial\n\nwith a body\n")
    n["root_tree"] = g.oid("rev-parse", "HEAD^{tree}")

    g("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub")
    n["submodule_commit"] = g.commit("add a submodule")
    n["submodule_tree"] = g.oid("rev-parse", "HEAD:vendor")

    for b in ("b1", "b2", "b3"):
        g("checkout", "-q", "-b", b, "main")
        g.write(f"{b}.txt", f"{b}\n".encode())
        g.commit(f"branch {b}")
    g("checkout", "-q", "main")
    g.write("main.txt", b"main\n")
    g.commit("on main")
    g("merge", "-q", "--no-edit", "b1", "b2", "b3")
    n["octopus"] = g.oid("rev-parse", "HEAD")
    g("tag", "-a", "v1.0", "-m", "release 1.0\n\nnotes")
    n["tag"] = g.oid("rev-parse", "v1.0")
    g("tag", "-a", "v1.0-outer", "-m", "a tag of a tag", "v1.0")
    n["tag_of_tag"] = g.oid("rev-parse", "v1.0-outer")
    g("tag", "-a", "tree-tag", "-m", "a tag of a tree", "HEAD^{tree}")
    g("tag", "-a", "blob-tag", "-m", "a tag of a blob", "HEAD:README.md")
    g("tag", "-a", "empty-msg", "-m", "")
    n["tag_empty_message"] = g.oid("rev-parse", "empty-msg")

    latin = "Ren\u00e9e \u00c5str\u00f6m"
    (root / "msg.txt").write_bytes("caf\u00e9 cr\u00e8me\n\nl\u00e0-bas\n".encode("latin-1"))
    g.write("latin.txt", b"x\n")
    g("add", "-A")
    g("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(root / "msg.txt"),
      env={"GIT_AUTHOR_NAME": os.fsdecode(latin.encode("latin-1"))})
    n["latin1"] = g.oid("rev-parse", "HEAD")
    n["empty_message"] = g.commit("", "--allow-empty-message")
    # git re-encodes a message that is not UTF-8 (latin-1 assumed); CRLF lines are kept
    (root / "raw.txt").write_bytes(b"bytes \xff\xfe not UTF-8\r\nsecond line\r\n")
    g("commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", str(root / "raw.txt"))
    n["raw_message"] = g.oid("rev-parse", "HEAD")
    g("tag", "-a", "latin-tag", "--cleanup=verbatim", "-F", str(root / "msg.txt"))
    n["latin1_tag"] = g.oid("rev-parse", "latin-tag")

    for label, cfg in (("gpg", gpg_cfg), ("ssh", ssh_cfg)):  # a commit and a tag signed each way it can
        if not cfg:
            continue
        g.write("signed.txt" if label == "gpg" else f"{label}.txt", f"{label}\n".encode())
        g("add", "-A")
        g(*cfg, "commit", "-q", "-S", "-m", f"signed with {label}")
        n[f"{label}_commit"] = g.oid("rev-parse", "HEAD")
        g(*cfg, "tag", "-s", f"v2.0-{label}", "-m", f"{label}-signed release")
        n[f"{label}_tag"] = g.oid("rev-parse", f"v2.0-{label}")

    # Merges of signed tags: a side branch, tagged, merged (non fast-forward) -> mergetag header.
    for label, cfg in (("gpg", gpg_cfg), ("ssh", ssh_cfg), ("plain", [])):
        if label != "plain" and not cfg:
            continue
        g("checkout", "-q", "-b", f"side-{label}", "main~2")
        g.write(f"side-{label}.txt", b"side\n")
        g.commit(f"side work ({label})")
        sign = ["-s"] if cfg else ["-a"]
        g(*cfg, "tag", *sign, f"side-{label}-v1", "-m", f"side release ({label})\n\nwith\n\nblank lines")
        g("checkout", "-q", "main")
        extra = ["-S"] if cfg else []
        g(*cfg, "merge", "-q", "--no-ff", *extra, "-m", f"Merge tag 'side-{label}-v1'", f"side-{label}-v1")
        n[f"mergetag_{label}"] = g.oid("rev-parse", "HEAD")

    # Notes and a stash (commits with odd parents and trees).
    g("notes", "add", "-m", "a note", "HEAD")
    g.write("README.md", b"# demo, edited\n")
    g.write("untracked.txt", b"u\n")
    g("stash", "push", "-q", "--include-untracked")

    # A huge flat tree.
    for i in range(huge_tree):
        g.write(f"many/f{i:05d}.txt", f"{i}\n".encode())
    n["huge_commit"] = g.commit("a huge tree")
    n["huge_tree"] = g.oid("rev-parse", "HEAD:many")

    _literal_objects(g, n)
    corpus.objects.update(sub.objects())
    corpus.objects.update(g.objects())
    return corpus


def _literal_objects(g: Git, n: dict[str, str]) -> None:
    """Objects git accepts (and older tools wrote) but does not write itself."""
    head = g.oid("rev-parse", "HEAD")
    tree = g.oid("rev-parse", "HEAD^{tree}")
    blob = bytes.fromhex(g.oid("rev-parse", "HEAD:empty"))
    t = f"tree {tree}\nparent {head}\n"
    commits = {
        "no_name": f"{t}author <a@example.org> 1700000000 +0100\ncommitter  <c@example.org> 1 +0000\n\nx\n",
        "two_spaces": f"{t}author Ada  Lovelace <ada@example.org> 1700000000 +0100\ncommitter {IDENT}\n\nx\n",
        "no_date": f"{t}author Ada <ada@example.org>\ncommitter Ada <ada@example.org> 1700000000\n\nx\n",
        "no_author": f"{t}committer {IDENT}\n\nno author",
        "no_message": f"tree {EMPTY_TREE}\nauthor {IDENT}\ncommitter {IDENT}\n",
        "extra_headers": f"{t}author {IDENT}\ncommitter {IDENT}\nencoding UTF-8\nHG:extra rebase_source:abc\n"
                         "HG:rename-source hg\n\nfrom hg\n",
        "out_of_order": f"tree {tree}\ncommitter {IDENT}\nauthor {IDENT}\nencoding UTF-8\n\nodd\n",
        "x509_signed": f"{t}author {IDENT}\ncommitter {IDENT}\ngpgsig -----BEGIN SIGNED MESSAGE-----\n"
                       " MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0B\n"
                       " -----END SIGNED MESSAGE-----\n\nx509\n",
        "multiline_other": f"{t}author {IDENT}\ncommitter {IDENT}\nx-custom first\n second\n \n third\n\nm\n",
        "gpg_version_line": f"{t}author {IDENT}\ncommitter {IDENT}\ngpgsig -----BEGIN PGP SIGNATURE-----\n"
                            " Version: GnuPG v1\n \n iQEcBAABAgAGBQJ\n =x1\n -----END PGP SIGNATURE-----\n\nold gpg\n",
        "long_header": f"{t}author {IDENT}\ncommitter {IDENT}\nx-long {'y' * 5000}\n\nlong\n",
        "crlf_headers": f"{t}author {IDENT}\r\ncommitter {IDENT}\r\n\r\ncrlf\r\n",
        "ident_trailing": f"{t}author Ada <ada@example.org> 1700000000 +0100 extra\ncommitter {IDENT}\n\nx\n",
        "ident_leading_space": f"{t}author  Ada <ada@example.org> 1 +0000\ncommitter {IDENT}\n\nx\n",
        "ident_unsplittable": f"{t}author nobody\ncommitter {IDENT}\n\nx\n",
        "upper_hex": f"tree {tree.upper()}\nauthor {IDENT}\ncommitter {IDENT}\n\nx\n",
        "twice": f"{t}author {IDENT}\ncommitter {IDENT}\nencoding a\nencoding b\n\nx\n",
        "mergetag_odd": f"{t}author {IDENT}\ncommitter {IDENT}\nmergetag object {head}\n type commit\n tag t1\n"
                        f" x-note ignored\n \n msg\nmergetag object {head}\n type commit\n tag t2\n \n"
                        f"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQ\n -----END PGP SIGNATURE-----\n\nodd\n",
    }
    for name, body in commits.items():
        n[name] = g.literal("commit", body.encode())
    n["invalid_utf8"] = g.literal(  # no encoding header; bytes that are not UTF-8 in a name, a header, the message
        "commit", f"{t}".encode() + b"author Bj\xf6rn <b@example.org> 1 +0000\n" + f"committer {IDENT}\n".encode()
        + b"x-extra \xe2\x82\n\ntrunc \xe2\x82 \xed\xa0\x80 \xc0\xaf\n")
    n["tag_no_tagger"] = g.literal("tag", f"object {head}\ntype commit\ntag ancient\n\nno tagger here\n".encode())
    n["tag_no_message"] = g.literal("tag", f"object {head}\ntype commit\ntag bare\ntagger {IDENT}\n".encode())
    n["tag_unknown_header"] = g.literal(
        "tag", f"object {head}\ntype commit\ntag x\ntagger {IDENT}\nx-unknown 1\n\nm\n".encode())
    n["tag_header_order"] = g.literal("tag", f"tag y\ntype commit\nobject {head}\ntagger {IDENT}\n\nm\n".encode())
    n["unsorted_tree"] = g.literal(
        "tree", b"100644 b\0" + blob + b"100644 a\0" + blob + b"040000 old-style\0" + bytes.fromhex(tree))
    n["dup_tree"] = g.literal("tree", b"100644 a\0" + blob + b"40000 a\0" + bytes.fromhex(tree))
