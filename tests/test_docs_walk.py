"""A newcomer's walk through the docs: the command lines they copy run as written.

``tests/test_docs.py`` checks that each ``autocodec`` line names real commands and options. A line
can pass that and still fail at once when typed: a positional missing, a required option left out,
a value of the wrong type or not among the choices. Here every command line of the fenced examples
(README.md, SECURITY.md, docs/*.md, and the ``--help`` epilogs) is parsed by the real parser,
with its placeholders (``CID``, ``HASH``, ``N``) replaced by values of their kind; and README's
"CLI tour" runs line by line in a new home, each line exiting as its comment says.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import autocodec
from autocodec.cid import CID, encode_varint
from autocodec.cli._app import ArgumentsOnStdin, build_parser, place_globals

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "SECURITY.md", *sorted((REPO / "docs").glob("*.md"))]
PARSER = build_parser([])

# A placeholder word -> a value the parser takes where the docs use it.
PLACEHOLDERS = {
    "HASH": "0" * 64,
    "N": "2", "M": "3", "START": "0", "COUNT": "1", "BYTES": "65536", "UNIX_TIME": "1700000000",
    "KIND": "codec",
}


def _example_commands(text: str) -> list[tuple[int, str]]:
    """(line number, the words after ``autocodec``) of every command in fenced ``sh`` examples,
    each column of side-by-side examples apart, a line ending in ``\\`` joined to its column's next."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    block: str | None = None  # the open fence's language, None outside one
    for number, line in enumerate(lines, 1):
        if line.strip().startswith("```"):
            block = line.strip()[3:] if block is None else None
            continue
        if block not in ("", "sh", "bash", "console"):
            continue
        code = re.split(r"(?:^|\s)#(?:\s|$)", line)[0]  # comments name commands too ("# autocodec version 0.1.0")
        for piece in re.findall(r"(?:^|\s)autocodec\s+(.*?)(?=\s{3,}|$)", code):
            follow = number
            while piece.rstrip().endswith("\\") and follow < len(lines):
                following = lines[follow].strip()
                piece = piece.rstrip()[:-1] + " " + re.split(r"\s{3,}|\s+#", following)[0]
                follow += 1
            found.append((number, piece))
    return found


def _words(piece: str) -> list[str]:
    """The argument words of one example: up to a pipe or redirection, optional brackets dropped,
    placeholders replaced."""
    import shlex

    piece = re.split(r"\s(?:\||&&|>|<|2>)\s", piece.split(" #")[0])[0].strip()
    words = shlex.split(piece)
    words = [re.sub(r"\]?\.\.\.$", "", w).strip("[]") if w.endswith("]...") else w.strip("[]") for w in words]
    return [PLACEHOLDERS.get(w, w) for w in words if w]


def _shorthand(words: list[str]) -> bool:
    """Not a command line to type: empty, ``COMMAND``, arguments elided (``dag import|export ...``),
    or performance.md's "autocodec add: 56.3 MiB RSS" figures."""
    return not words or words[0] == "COMMAND" or "..." in words or bool(re.fullmatch(r"[\d.]+|add:", words[0]))


def _parse_error(words: list[str]) -> str | None:
    """None when the real parser takes ``words``, else its last error line."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            PARSER.parse_args(place_globals(PARSER, words))  # global options anywhere, as main() takes them
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            return (err.getvalue().strip().splitlines() or ["?"])[-1]
    except ArgumentsOnStdin as missing:  # main() would look for it on stdin first; a doc line must name it
        return f"autocodec {missing.command}: the argument is missing"
    return None


def test_every_fenced_example_parses_with_the_real_parser() -> None:
    wrong, checked = [], 0
    for doc in DOCS:
        for number, piece in _example_commands(doc.read_text()):
            words = _words(piece)
            if _shorthand(words):
                continue
            checked += 1
            if (why := _parse_error(words)) is not None:
                wrong.append(f"{doc.relative_to(REPO)}:{number}: autocodec {' '.join(words)}: {why}")
    assert checked >= 120, checked
    assert not wrong, "\n".join(wrong)


def test_every_help_example_parses_with_the_real_parser() -> None:
    wrong, checked = [], 0

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        nonlocal checked
        for number, piece in _example_commands(f"```\n{parser.epilog or ''}\n```"):
            words = _words(piece)
            if not _shorthand(words):
                checked += 1
                if (why := _parse_error(words)) is not None:
                    wrong.append(f"{' '.join(path) or 'autocodec'} --help, line {number - 1}: {why}")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])

    walk(PARSER, [])
    assert checked >= 100, checked
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_a_line_the_parser_refuses() -> None:
    """The check can fail: a missing positional, a value of the wrong type, a required option."""
    text = "```sh\nautocodec dag get          # no path\nautocodec set init s --threshold x\n" \
           "autocodec ucan delegate --key k --to did:key:z \\\n    --cmd /x\n```\n"
    found = _example_commands(text)
    assert [n for n, _ in found] == [2, 3, 4]
    assert all(_parse_error(_words(piece)) is not None for _, piece in found)
    assert _parse_error(_words("bao decode HASH big.bao out.iso")) is None
    assert _parse_error(_words("set init myset --key alice [--threshold N]")) is None


def _tour_lines() -> list[tuple[int, str]]:
    """(line number, shell line) of README's "CLI tour" block, its comment-only lines left out."""
    text = (REPO / "README.md").read_text()
    start = text.index("## CLI tour")
    first = text.count("\n", 0, text.index("```sh\n", start)) + 2  # the line after the fence
    block = text[text.index("```sh\n", start) + 6:]
    block = block[:block.index("```")]
    return [(first + i, line) for i, line in enumerate(block.splitlines()) if line.strip() and not line.lstrip().startswith("#")]


def _cid(codec: int, data: bytes) -> CID:
    return CID.build(codec, b"\x12\x20" + hashlib.sha256(data).digest())


def _car(root: CID, data: bytes) -> bytes:
    """A CARv1 of one block (CARv1 spec: varint-framed header, then CID+bytes sections)."""
    header = autocodec.encode({"roots": [root], "version": 1}, "dag-cbor")
    section = bytes(root) + data
    return encode_varint(len(header)) + header + encode_varint(len(section)) + section


def test_the_readmes_cli_tour_runs_line_by_line(tmp_path: Path) -> None:
    """Each line of the tour, typed in a new home with its placeholders filled (``CID`` the CID the
    last command that printed one CID printed, ``bafkrei...`` the block ``hello``), exits 0, or 1
    where its comment says it fails; none prints a traceback."""
    home = tmp_path / "ac"
    node = autocodec.encode({"a": 1}, "dag-cbor")
    (tmp_path / "node.cbor").write_bytes(node)
    (tmp_path / "f").write_bytes(b"abc")
    fixture = autocodec.encode({"fixture": 1}, "dag-cbor")
    (tmp_path / "fixtures.car").write_bytes(_car(_cid(0x71, fixture), fixture))
    hello = str(_cid(0x55, b"hello\n"))
    env = {**os.environ, "AUTOCODEC_PY": sys.executable}
    shell = 'autocodec() { "$AUTOCODEC_PY" -m autocodec "$@"; }\n'
    last_cid, ran = "", 0
    for number, line in _tour_lines():
        command = line.split("  #")[0].replace("/tmp/ac", str(home)).replace("bafkrei...", hello)
        command = re.sub(r"\[(--[^\]]*)\]", r"\1", command)  # an optional option, given
        if re.search(r"\bCID\b", command):
            assert last_cid, f"README.md:{number}: no CID printed before it"
            command = re.sub(r"\bCID\b", last_cid, command)
        proc = subprocess.run(["bash", "-c", shell + command], cwd=tmp_path,
                              env={**env, "AUTOCODEC_HOME": str(home)}, capture_output=True, timeout=120)
        expected = 1 if re.search(r"#.*\bfails\b", line) else 0
        assert proc.returncode == expected and b"Traceback" not in proc.stderr, \
            f"README.md:{number}: {command!r} exited {proc.returncode}: {proc.stderr.decode()}"
        printed = proc.stdout.decode().split()
        if len(printed) == 1 and re.fullmatch(r"b[a-z2-7]{30,}", printed[0]):
            last_cid = printed[0]
        ran += 1
    assert ran >= 15, ran


def _cli_page_list(after: str, until: str) -> set[str]:
    """The commands docs/cli.md names in backticks between ``after`` and ``until`` (one paragraph),
    ``a b/c`` read as ``a b`` and ``a c``."""
    text = re.sub(r"\s+", " ", (REPO / "docs" / "cli.md").read_text())
    part = text[text.index(after) + len(after):]
    part = part[:part.index(until)]
    named = set()
    for code in re.findall(r"`([a-z][a-z0-9 /-]*)`", part):
        head, _, last = code.rpartition(" ")
        named |= {f"{head} {word}".strip() for word in last.split("/")}
    return named


def test_the_cli_pages_enc_and_cid_base_lists_are_the_parsers() -> None:
    """docs/cli.md says which commands have a JSON form and which take ``--enc=json`` or
    ``--cid-base`` without effect (as Kubo's same commands do): those lists are the parser's."""
    from autocodec.cli._app import CID_BASE_IGNORED, ENC_IGNORED, _leaf_parsers

    leaves = _leaf_parsers(PARSER)
    json_form = {name for name, leaf in leaves.items()
                 if any("--enc" in a.option_strings and a.dest == "enc" for a in leaf._actions)}
    assert _cli_page_list("one object a line (", "); a CID under") == json_form - {"version"}
    assert _cli_page_list("change nothing here either: `--enc=json` on", "; `--cid-base` on") == ENC_IGNORED
    assert _cli_page_list("; `--cid-base` on those that print no CID", "Any other command") == CID_BASE_IGNORED


def test_key_import_and_export_take_enc_json_as_kubo(tmp_path: Path) -> None:
    """Kubo 0.43.1: ``ipfs key import --enc=json`` prints ``{"Name","Id"}``; ``ipfs key export
    --enc=json`` writes the file and prints nothing. Both were usage errors here (exit 2)."""
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "ac")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)

    assert cli("key", "gen", "a").returncode == 0
    exported = cli("key", "export", "a", "-o", "a.key", "--enc=json")
    assert (exported.returncode, exported.stdout, exported.stderr) == (0, "", "")
    imported = cli("key", "import", "b", "a.key", "--enc=json")
    assert imported.returncode == 0, imported.stderr
    ipns = cli("key", "list", "-l").stdout.splitlines()[0].split("\t")[2]
    assert imported.stdout == f'{{"Name":"b","Id":"{ipns}"}}\n'
    text = cli("key", "import", "c", "a.key")
    assert text.stdout.endswith(f"\t{ipns}\n") and text.stdout.startswith("did:key:z6Mk")


def test_kubos_commands_that_ignore_cid_base_take_it(tmp_path: Path) -> None:
    """Kubo 0.43.1's ``cid inspect``, ``cid bases|codecs|hashes``, ``name inspect`` and ``name
    publish`` take ``--cid-base`` and print what they print without it (exit 0); here they were
    "has no effect" usage errors (exit 2), against cli.md's "taken by every command, as Kubo"."""
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "ac")}

    def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True,
                              cwd=tmp_path, timeout=120)

    assert cli("key", "gen", "k").returncode == 0
    path = "/ipfs/QmcPuwDamPwnAudtHEQswJQ1BiLFFjiJKMwqT7a9SZ7Xnc"
    assert cli("name", "publish", "--resolve=false", "--key", "k", "-o", "record.bin", path).returncode == 0
    for command in (["cid", "inspect", path[6:]], ["cid", "bases"], ["cid", "codecs", "--enc=json"], ["cid", "hashes"],
                    ["name", "inspect", "record.bin"], ["name", "publish", "--resolve=false", "--key", "k", path]):
        plain, based = cli(*command), cli(*command, "--cid-base=base36")
        assert plain.returncode == 0 and (based.returncode, based.stdout) == (0, plain.stdout), (command, based.stderr)


def test_every_options_help_states_its_default() -> None:
    """cli.md: "`autocodec COMMAND --help` give each option's meaning and default". An option whose
    default is a value (not off, empty, 0 or absent, which mean "not given") says it in its help
    (``hash --hash`` was sha2-256, ``receipt ls --limit`` 1000, ``serve --workers`` 8, unsaid)."""
    from autocodec.cli._app import _leaf_parsers

    unsaid = []
    for name, leaf in _leaf_parsers(PARSER).items():
        for action in leaf._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS or action.nargs == 0:
                continue
            if action.default in (None, "", "0", 0, []) or isinstance(action.default, bool):
                continue
            if "default" not in (action.help or "").lower():
                unsaid.append(f"{name} {action.option_strings[-1]} (default {action.default!r})")
    assert not unsaid, unsaid


def test_every_commands_help_ends_with_examples() -> None:
    """README: "`autocodec --help` and each `autocodec COMMAND --help` end with examples" (a
    group's for its actions)."""
    from autocodec.cli._app import _subcommands

    bare = [name for name, sub in _subcommands(PARSER).items()
            if sub.prog == f"autocodec {name}" and f"autocodec {name}" not in (sub.epilog or "")]
    assert "autocodec " in (PARSER.epilog or "")
    assert not bare, bare


def test_pin_repair_after_block_rm_force_as_the_readme_tells(tmp_path: Path) -> None:
    """README: "`block rm` keeps the blocks pinned sets need (`--force` removes them; `pin repair`
    fetches them back)". The repair line counted one block as "1 blocks"."""
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "ac")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert cli("init").returncode == 0
    module = cli("resolve", "codec", "git-raw", "--json")
    cid = re.search(r'"module": ?\{"/": ?"(\w+)"', module.stdout)
    assert cid is not None, module.stdout
    kept = cli("block", "rm", cid[1])
    assert kept.returncode == 1 and "BlockNeeded" in kept.stderr
    assert cli("block", "rm", "--force", cid[1]).returncode == 0
    repaired = cli("pin", "repair")
    assert repaired.returncode == 0 and ": 1 block fetched back from " in repaired.stdout, repaired.stdout
    assert cli("block", "stat", cid[1]).returncode == 0


def test_trusts_key_rotation_example_runs_as_written(tmp_path: Path) -> None:
    """docs/trust.md, "Rotating a set's keys": the shell lines, then (in another home made the same
    way) the Python lines, each on a set 'myset' whose key is alice, as the page assumes."""
    text = (REPO / "docs" / "trust.md").read_text()
    section = text[text.index("## Rotating a set's keys"):text.index("## Shipping a set")]
    shell = re.search(r"```sh\n(.*?)```", section, re.S)
    python = re.search(r"```python\n(.*?)```", section, re.S)
    assert shell is not None and python is not None

    def home(name: str) -> dict[str, str]:
        """A publisher's home as the README's publishing tour leaves it: myset v1 by alice."""
        env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / name)}

        def cli(*args: str) -> str:
            return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, check=True,
                                  capture_output=True, text=True, timeout=120).stdout.strip()

        cli("key", "gen", "alice")
        manifest = cli("publish", str(REPO / "wasm-src" / "git-raw" / "git-raw.wasm"), "--key", "alice")
        cli("set", "init", "myset", "--key", "alice")
        cli("set", "add", "myset", manifest)
        cli("set", "publish", "myset")
        return env

    env = home("sh")
    for line in shell[1].splitlines():
        words = _words(re.sub(r"^autocodec\s+", "", line))
        proc = subprocess.run([sys.executable, "-m", "autocodec", *words], env=env, capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, f"{line}: {proc.stderr}"
    env = home("py")
    subprocess.run([sys.executable, "-m", "autocodec", "key", "gen", "carol"], env=env, check=True, capture_output=True)
    code = "import os\nos.chdir(os.environ['WALK_DIR'])\n" + python[1]
    proc = subprocess.run([sys.executable, "-c", code], env={**env, "WALK_DIR": str(tmp_path)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "bundle.car").stat().st_size > 0
