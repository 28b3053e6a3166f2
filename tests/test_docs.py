"""The user-facing docs (README.md, SECURITY.md, docs/*.md) and the ``--help`` examples name only
what exists: every ``autocodec`` command line names real commands and options, every test the docs
cite is a test, every limit they name is a field of ``autocodec.config`` with the default they state,
every config example loads, and the lists of options or groups they spell out match the parser.

A new user copies these lines first; a renamed option or test would otherwise go stale silently
(a docs review found `add`'s UnixFS 1.5 options listed as "not implemented" beside the table that
documents them, and `bench --group` missing three of its groups). Fast: no process, no home.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from autocodec.cli._app import build_parser
from autocodec.config import DEFAULT_LIMITS, Limits

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "SECURITY.md", *sorted((REPO / "docs").glob("*.md"))]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {opt for action in parser._actions for opt in action.option_strings}


PARSER = build_parser([])
# The top-level parser's own options (``--offline``, ``--api`` ... as it defines them), and ``-vv``.
GLOBAL_OPTIONS = _options(PARSER) | {"-vv"}
_GLOBAL_VALUES = {opt for action in PARSER._actions if type(action) is argparse._StoreAction
                  for opt in action.option_strings}  # these take the next word


def _command_lines(text: str) -> list[tuple[int, str]]:
    """(line number, the words after ``autocodec``) of every command line: in fenced blocks (also
    the second column of side-by-side examples) and in inline code."""
    found: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            pieces = re.findall(r"(?:^|\s)autocodec\s+(.*?)(?=\s{3,}|\s+#|$)", line)
        else:
            pieces = re.findall(r"`autocodec ([^`]*)`", line)
        found += [(number, piece) for piece in pieces]
    return found


def _words(piece: str) -> list[str]:
    piece = re.split(r"\s(?:\||&&|>|<|2>)\s", piece.split(" #")[0])[0].rstrip("\\ ")
    try:
        words = shlex.split(piece)
    except ValueError:
        words = piece.split()
    return [w.strip("[]") for w in words if w.strip("[]")]


def _check_command(words: list[str]) -> str | None:
    """None if ``words`` (after ``autocodec``) names a command and only options it has, else why not."""
    i = 0
    while i < len(words) and words[i] in GLOBAL_OPTIONS:
        i += 2 if words[i] in _GLOBAL_VALUES else 1
    parser, path = PARSER, []
    while i < len(words) and words[i] in _subparsers(parser):
        path.append(words[i])
        parser = _subparsers(parser)[words[i]]
        i += 1
    if not path:
        return None if i == len(words) else f"no command in {words}"  # `autocodec --help` alone is fine
    known = _options(parser) | GLOBAL_OPTIONS
    for word in words[i:]:
        name = word.split("=")[0]
        if re.match(r"^--?[a-zA-Z]", word) and name not in known:
            return f"{' '.join(path)} has no option {name}"
    return None


def test_every_command_line_in_the_docs_names_real_commands_and_options() -> None:
    wrong, checked = [], 0
    for doc in DOCS:
        for number, piece in _command_lines(doc.read_text()):
            words = _words(piece)
            if not words or words[0] in ("COMMAND",) or (words[0].startswith("-") and words[0] not in GLOBAL_OPTIONS):
                continue  # prose ("`autocodec COMMAND --help`"), or a figure in a table
            if re.fullmatch(r"[\d.]+|add:", words[0]):
                continue  # performance.md's "autocodec add: 56.3 MiB RSS" figures
            checked += 1
            if (why := _check_command(words)) is not None:
                wrong.append(f"{doc.name}:{number}: {why}")
    assert checked >= 150, checked
    assert not wrong, wrong


def test_every_example_in_the_help_texts_names_real_commands_and_options() -> None:
    wrong, checked = [], 0

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        nonlocal checked
        for line in (parser.epilog or "").splitlines():
            for piece in re.findall(r"(?:^|\s)autocodec\s+(.*?)(?=\s{3,}|\s+#|$)", line):
                words = _words(piece)
                if words and words[0] != "COMMAND":
                    checked += 1
                    if (why := _check_command(words)) is not None:
                        wrong.append(f"{' '.join(path) or 'autocodec'} --help: {why}")
        for name, sub in _subparsers(parser).items():
            walk(sub, [*path, name])

    walk(PARSER, [])
    assert checked >= 100, checked
    assert not wrong, wrong


def _test_names() -> dict[str, set[str]]:
    return {p.name: set(re.findall(r"^\s*(?:async )?def (test_\w+)", p.read_text(), re.M))
            for p in (REPO / "tests").glob("test_*.py")}


def test_every_test_the_docs_cite_exists() -> None:
    """``tests/test_x.py::test_y`` must be in that file; a bare ``test_y`` in some test file; and in
    SECURITY.md's first table, whose tests are in tests/test_attacks.py "unless stated", there."""
    names = _test_names()
    every = set().union(*names.values())
    wrong = []

    def missing(name: str, pool: set[str]) -> bool:
        pattern = re.compile(name.replace("*", r"\w*") + r"\Z")
        return not any(pattern.match(n) for n in pool)

    for doc in DOCS:
        text = doc.read_text()
        for file in re.findall(r"`(?:tests/)?(test_\w+\.py)", text):
            if file not in names:
                wrong.append(f"{doc.name}: no tests/{file}")
        for file, name in re.findall(r"`(?:tests/)?(?:(test_\w+\.py)::)?(test_[\w*]+)(?:\[[^\]]*\])?`", text):
            if missing(name, names.get(file, set()) if file else every):
                wrong.append(f"{doc.name}: {file + '::' if file else ''}{name}")
    attacks_table = (REPO / "SECURITY.md").read_text().split("Registry and runtime")[0]
    for name in re.findall(r"(?<![:/\w])`(test_[\w*]+)(?:\[[^\]]*\])?`", attacks_table):
        if missing(name, names["test_attacks.py"]):
            wrong.append(f"SECURITY.md (tests/test_attacks.py unless stated): {name}")
    assert not wrong, wrong


GROUPS = {f.name: getattr(DEFAULT_LIMITS, f.name) for f in dataclasses.fields(Limits)}
CLASSES = {type(group).__name__: group for group in GROUPS.values()}


def test_every_limit_the_docs_name_exists() -> None:
    wrong, seen = [], 0
    for doc in DOCS:
        text = doc.read_text()
        for cls, name in re.findall(r"\b([A-Z]\w*Limits)\.(\w+)", text):
            seen += 1
            if cls not in CLASSES or not any(f.name.startswith(name.rstrip("_")) if name.endswith("_")
                                             else f.name == name for f in dataclasses.fields(CLASSES[cls])):
                wrong.append(f"{doc.name}: {cls}.{name}")
        for group, name in re.findall(r"\blimits\.([a-z_]+)(?:\.([a-z_]+))?", text):
            seen += 1
            if group not in GROUPS or (name and not hasattr(GROUPS[group], name)):
                wrong.append(f"{doc.name}: limits.{group}{'.' + name if name else ''}")
        for group, name in re.findall(r"\[limits\.([a-z_]+)\]`?\s*`?([a-z_]+)", text):
            if group not in GROUPS or not hasattr(GROUPS[group], name):
                wrong.append(f"{doc.name}: [limits.{group}] {name}")
    assert seen >= 35, seen
    assert not wrong, wrong


_UNITS = {"": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "s": 1, "ms": 1e-3}


def test_the_bounds_tables_state_the_config_defaults() -> None:
    """docs/bounds.md's tables: a row whose Config is one field and whose Default starts with a
    plain amount (``4 MiB``, ``30 s``, ``10 000``) states that field's default."""
    compared, wrong = 0, []
    header: list[str] = []
    for line in (REPO / "docs" / "bounds.md").read_text().splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if "Default" not in header or "Config" not in header or set(line) <= set("|- "):
            continue
        default, config = cells[header.index("Default")], cells[header.index("Config")]
        field_ = re.fullmatch(r"`([A-Z]\w+Limits)\.(\w+)`", config)
        amount = re.match(r"(\d+(?:[ ,]\d{3})*(?:\.\d+)?)\s*(KiB|MiB|GiB|ms|s)?(?=$|[\s,(])", default)
        if not field_ or not amount or "+" in default:
            continue
        actual = getattr(CLASSES[field_[1]], field_[2])
        stated = float(re.sub(r"[ ,]", "", amount[1])) * _UNITS[amount[2] or ""]
        if field_[2].endswith("_ms"):
            stated *= 1000
        compared += 1
        if abs(stated - actual) > 1e-9:
            wrong.append(f"{field_[1]}.{field_[2]}: docs {default!r}, config {actual}")
    assert compared >= 14, compared
    assert not wrong, wrong


def test_every_config_example_in_the_docs_loads(tmp_path: Path) -> None:
    from autocodec.ipvm._triggers import load_triggers
    from autocodec.settings import Settings

    blocks = [block for doc in DOCS for block in re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)]
    assert len(blocks) >= 2
    for block in blocks:
        (tmp_path / "config.toml").write_text(block)
        Settings.load(tmp_path / "config.toml")  # a wrong key is a ConfigError
        load_triggers(tomllib.loads(block))


def test_options_the_unixfs_docs_call_not_implemented_are_not_in_add() -> None:
    text = (REPO / "docs" / "unixfs.md").read_text()
    listed = re.search(r"^- (`--nocopy`.*?) are not implemented", text, re.S | re.M)
    assert listed is not None
    options = {o for part in re.findall(r"`(--[\w/-]+)`", listed[1]) for o in part.split("/")}
    assert "--nocopy" in options
    add = _subparsers(PARSER)["add"]
    assert not options & _options(add), options & _options(add)


def test_the_bench_groups_the_docs_list_are_the_benchs() -> None:
    from autocodec.cli.cmd_bench import GROUP_NAMES

    listed = re.search(r"one group \(repeatable\): ([\w, -]+)", (REPO / "docs" / "performance.md").read_text())
    assert listed is not None
    assert [g.strip() for g in listed[1].split(",")] == list(GROUP_NAMES)


@pytest.mark.parametrize("group", ["bao", "module", "receipt"])
def test_a_command_groups_one_line_help_names_its_actions(group: str) -> None:
    """The groups whose one-line help is a list of their actions list all of them (``module``
    said "inspect ... or run its test vectors" after ``new`` and ``build`` came)."""
    words = {"new": "scaffold", "ls": "list"}
    commands = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction))
    line = next(c.help for c in commands._choices_actions if c.dest == group)
    assert line is not None
    for action in _subparsers(_subparsers(PARSER)[group]):
        assert words.get(action, action) in line, (group, action, line)


def test_the_command_check_refuses_what_does_not_exist() -> None:
    assert _check_command(["add", "--bogus", "x"]) == "add has no option --bogus"
    assert _check_command(["frob", "x"]) is not None
    assert _check_command(["pin", "add", "--override", "x.car"]) is None
    assert _check_command(["--home", "h", "init", "--no-default-set"]) is None
    assert _check_command(["add", "--raw-leaves=false", "-r", "d"]) is None


def test_the_constants_the_bounds_tables_name_hold_the_amount_they_state() -> None:
    """docs/bounds.md's rows whose Config is a module constant (``sources._fetcher.MAX_FETCH_DIGEST``)
    name one that exists, holding the first amount the row states (``at most 128 bytes``)."""
    import importlib

    compared, wrong = 0, []
    for line in (REPO / "docs" / "bounds.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        for ref in re.findall(r"`((?:[a-z_]+\.)+[A-Z][A-Z0-9_]+)`", cells[-1]):
            module, _, name = ref.rpartition(".")
            value = getattr(importlib.import_module(f"autocodec.{module}"), name, None)
            amount = re.search(r"(\d[\d ,]*)\s*(KiB|MiB)?", cells[1])
            compared += 1
            if value is None or amount is None:
                wrong.append(f"{ref}: {'no such constant' if value is None else 'no amount stated'}")
            elif int(re.sub(r"[ ,]", "", amount[1])) * _UNITS[amount[2] or ""] != value:
                wrong.append(f"{ref}: docs {cells[1][:40]!r}, code {value}")
    assert compared >= 6, compared
    assert not wrong, wrong


_SDK_SOURCES = {"C": ("wasm-src/include/ac.h", r"\b{}\s*\("), "Rust": ("wasm-src/sdk/rust/ac.rs", r"\bfn {}\b"),
                "Zig": ("wasm-src/sdk/zig/ac.zig", r"\bfn {}\b"),
                "AssemblyScript": ("wasm-src/sdk/assemblyscript/ac.ts", r"^\s*{}\s*\(")}


def test_the_sdk_reader_and_writer_table_names_what_each_sdk_has() -> None:
    """docs/abi.md's kind-by-kind table: every function it names in a language's column is in that
    SDK's source (a renamed reader call would otherwise stay in the table)."""
    text = (REPO / "docs" / "abi.md").read_text()
    header, _, rest = text.partition("| kind | C (")
    assert rest, "the reader/writer table is gone from docs/abi.md"
    rows = ("| kind | C (" + rest).split("\n\n")[0].splitlines()
    languages = [cell.split(" (")[0].strip() for cell in rows[0].strip().strip("|").split("|")[1:]]
    assert languages == list(_SDK_SOURCES), languages
    checked, wrong = 0, []
    for row in rows[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        for language, cell in zip(languages, cells[1:]):
            path, pattern = _SDK_SOURCES[language]
            source = (REPO / path).read_text()
            for code in re.findall(r"`([^`]+)`", cell):
                for name in re.findall(r"\b(ac[rw]_\w+|[a-z]\w*(?=\())", code):
                    checked += 1
                    if not re.search(pattern.format(re.escape(name)), source, re.M):
                        wrong.append(f"{language}: {name} ({cells[0]})")
    assert checked >= 90, checked
    assert not wrong, wrong


_ERROR_WORDS = r"(?:Error|NotFound|Mismatch|Unsupported|TooLong|Denied|Digest|Busy|Timeout|Fault|Cancelled)"


def test_every_error_the_docs_name_exists_and_no_error_hint_names_a_cli_option() -> None:
    """Every error class the docs name in backticks is a class of the package (the CLI prints its
    name first on the line a user searches the docs for), this round's new ones among them; and
    library errors say what to do next without naming a CLI option (``autocodec --help`` aside)."""
    import builtins

    import autocodec.errors as errors

    defined = {name for path in (REPO / "autocodec").rglob("*.py")
               for name in re.findall(r"^class (\w+)\(", path.read_text(), re.M)}
    defined |= {name for name in dir(builtins) if name.endswith("Error")}  # `OSError`
    named = {name for doc in DOCS for name in re.findall(rf"`([A-Z][A-Za-z]*{_ERROR_WORDS})`", doc.read_text())}
    assert {"NodeAccessDenied", "NameNotFound", "DigestTooLong", "DigestLengthUnsupported", "WeakDigest"} <= named
    assert len(named) >= 25, sorted(named)
    assert not named - defined, sorted(named - defined)
    flagged = []
    for name, cls in vars(errors).items():
        if isinstance(cls, type) and issubclass(cls, errors.AutocodecError):
            hint = cls.hint.replace("autocodec --help", "")
            if re.search(r"(?<![\w-])--?[a-z]", hint):
                flagged.append(f"{name}: {cls.hint}")
    assert not flagged, flagged


def _anchors(path: Path) -> set[str]:
    """The section anchors GitHub makes for a page's headings (lower case; spaces to ``-``;
    punctuation other than ``-`` and ``_`` dropped)."""
    found, fenced = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"#{1,6}\s+(.*)", line)):
            found.add(re.sub(r"[^\w\- ]", "", heading[1].strip().lower()).replace(" ", "-"))
    return found


def test_every_link_between_the_docs_reaches_a_file_and_its_section() -> None:
    wrong, checked = [], 0
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # https://...
            path, _, section = target.partition("#")
            linked = (doc.parent / path) if path else doc
            checked += 1
            if not linked.exists():
                wrong.append(f"{doc.name}: {target} (no such file)")
            elif section and linked.suffix == ".md" and section not in _anchors(linked):
                wrong.append(f"{doc.name}: {target} (no such section)")
    assert checked >= 20, checked
    assert not wrong, wrong


def test_the_limits_the_readme_says_take_zero_are_the_configs() -> None:
    """README's config section names the limits for which 0 means something: config.ZERO_MEANS
    (config.toml refused retries = 0 while the library took it, until both used that one list)."""
    from autocodec.config import ZERO_MEANS

    text = (REPO / "README.md").read_text()
    sentence = re.search(r"(\w+) limits take 0,(.*?)\.\n", text, re.S)
    assert sentence is not None, "README no longer says which limits take 0"
    named = set(re.findall(r"`(\w+)`", sentence[2]))
    assert named == set(ZERO_MEANS)
    words = {3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven"}
    assert sentence[1] == words.get(len(ZERO_MEANS)), sentence[1]


def _python_block(doc: str, first_line: str) -> str:
    blocks: list[str] = re.findall(r"```python\n(.*?)```", (REPO / doc).read_text(), re.S)
    block = next((b for b in blocks if b.startswith(first_line)), None)
    assert block is not None, f"{doc}: no Python example starting {first_line!r}"
    return block


def test_the_readmes_python_example_runs_as_written(tmp_path: Path) -> None:
    """README's "Use from Python", with its home moved into tmp_path: each assert holds."""
    code = _python_block("README.md", "import io")
    assert code.count('"/tmp/ac-example"') == 1
    exec(compile(code.replace('"/tmp/ac-example"', repr(str(tmp_path / "ac"))), "README.md", "exec"), {})


def test_the_invocations_python_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/invocations.md's "Python API" in a new default home (it named a module_cid it never
    defined)."""
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "ac"))
    code = _python_block("docs/invocations.md", "from autocodec.registry import Runtime")
    exec(compile(code, "invocations.md", "exec"), {})


def _cli_rows() -> list[tuple[list[str], set[str]]]:
    """docs/cli.md's command rows: (the command's words, the options named in its options cell)."""
    rows = []
    for line in (REPO / "docs" / "cli.md").read_text().splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        command = re.fullmatch(r"`autocodec ([a-z][\w -]*?)(?: [A-Z\[].*)?`", cells[0])
        if command is None or len(cells) < 3:
            continue
        options = {o for code in re.findall(r"`([^`]+)`", cells[2]) for o in code.split("/")}
        rows.append((command[1].split(), options))
    return rows


def _leaf_commands(parser: argparse.ArgumentParser, path: list[str]) -> dict[str, set[str]]:
    """Every command that runs (``block put``, ``init``): the option strings its --help shows."""
    subs = _subparsers(parser)
    if not subs:
        return {" ".join(path): {o for a in parser._actions if a.help != argparse.SUPPRESS
                                 for o in a.option_strings} - {"-h", "--help"}}
    return {name: opts for word, sub in subs.items() for name, opts in _leaf_commands(sub, [*path, word]).items()}


def test_the_cli_page_names_every_command_and_option_and_no_other() -> None:
    """docs/cli.md has one row per command, naming exactly the options its --help shows (the
    hidden ``--flag=false`` spellings aside), so a new option or command cannot go unlisted and a
    removed one cannot stay."""
    parser_side = _leaf_commands(PARSER, [])
    page = {" ".join(words): options for words, options in _cli_rows()}
    assert len(page) == len(_cli_rows()), "a command has two rows in docs/cli.md"
    assert sorted(set(parser_side) - set(page)) == [], "commands missing from docs/cli.md"
    assert sorted(set(page) - set(parser_side)) == [], "docs/cli.md lists commands that do not exist"
    wrong = {name: (sorted(parser_side[name] - page[name]), sorted(page[name] - parser_side[name]))
             for name in page if page[name] != parser_side[name]}
    assert not wrong, f"(missing from the page, not in the parser): {wrong}"
    assert len(page) >= 60


def test_the_cli_page_check_sees_a_missing_option_and_command() -> None:
    rows = _cli_rows()
    add = next(options for words, options in rows if words == ["add"])
    assert {"--recursive", "-r", "--chunker", "-s", "--module"} <= add
    assert ["pin", "repair"] in [words for words, _ in rows]
    assert "--bogus" not in _leaf_commands(PARSER, [])["add"]


def test_the_fuzz_targets_the_docs_list_are_the_targets() -> None:
    from autocodec.fuzz import TARGETS

    text = (REPO / "docs" / "fuzzing.md").read_text()
    listing = text.split("has a fuzz target in", 1)[1].split("Inputs are", 1)[0]
    assert set(re.findall(r"`([a-z][a-z0-9-]*)`\s*(?:\(|,|and|$)", listing, re.M)) == set(TARGETS)


def test_the_case_counts_the_docs_state_are_the_tests() -> None:
    """"`tests/test_x.py`, N cases" (or "runs/compares N cases") is that file's ``len(CASES)``, and
    README's DNSLink zone is the test's: its ``_dnslink`` records and ``DOMAINS`` (README said 17
    cases of ``get`` and a zone of 14 domains long after the tests grew to 23 and 19)."""
    import importlib

    stated, wrong = 0, []
    for doc in DOCS:
        text = re.sub(r"\s+", " ", doc.read_text())
        for module, count in re.findall(r"`tests/(test_\w+)\.py`,? (?:runs |compares )?(\d+) cases", text):
            cases = getattr(importlib.import_module(f"tests.{module}"), "CASES", None)
            stated += 1
            if cases is None or len(cases) != int(count):
                wrong.append(f"{doc.name}: {module} {count} cases, the test has {cases and len(cases)}")
    assert stated >= 4, stated
    from tests.test_dnslink_kubo import DOMAINS

    zone = re.search(r"zone of (\d+) domains \((\d+) names asked", re.sub(r"\s+", " ", (REPO / "README.md").read_text()))
    assert zone is not None, "README no longer states the DNSLink comparison's zone"
    records = len(re.findall(r'"_dnslink\.[\w.]+":', (REPO / "tests" / "test_dnslink_kubo.py").read_text()))
    assert not wrong, wrong
    assert (int(zone[1]), int(zone[2])) == (records, len(DOMAINS)), "README's DNSLink zone and names asked"


def test_the_security_reporting_channel_exists() -> None:
    """SECURITY.md's "Reporting" names only contacts the package has: it said "mail the maintainers
    listed in pyproject.toml", which lists none."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    contacts = [p for key in ("maintainers", "authors") for p in project.get(key, []) if "email" in p]
    reporting = (REPO / "SECURITY.md").read_text().split("## Reporting", 1)[1]
    assert "security advisory" in reporting
    assert contacts or "pyproject.toml" not in reporting, "SECURITY.md points to maintainers pyproject.toml lacks"


_NOT_BOUNDS = {"max_instances", "stream_chunk_bytes", "max_batch_items", "pooled_instances"}  # tuning, not bounds


def test_the_bounds_page_names_every_sandbox_fetch_decode_and_serve_limit() -> None:
    """docs/bounds.md's tables of Wasm, fetch, decode and serve bounds name every such field of
    ``autocodec.config`` (directly, or by a ``Limits.prefix_*`` row): the sandbox's memory, stack and
    table caps and serve's request-line and header caps were missing."""
    text = (REPO / "docs" / "bounds.md").read_text()
    prefixes = re.findall(r"`\w+Limits\.(\w+_)\*`", text)
    missing = [f"{type(group).__name__}.{f.name}" for group in (DEFAULT_LIMITS.sandbox, DEFAULT_LIMITS.fetch,
                                                                 DEFAULT_LIMITS.decode, DEFAULT_LIMITS.serve)
               for f in dataclasses.fields(group)
               if f.name not in _NOT_BOUNDS and not re.search(rf"\b{f.name}\b", text)
               and not any(f.name.startswith(p) for p in prefixes)]
    assert not missing, missing


def test_the_unixfs_option_set_counts_are_the_tests() -> None:
    """docs/unixfs.md's "N option sets for files, ..." are test_unixfs_kubo's lists (it said 32, 9,
    23, 7 and 10 runs when the lists held 37, 11, 24, 8 and 11)."""
    import tests.test_unixfs_kubo as t

    text = re.sub(r"\s+", " ", (REPO / "docs" / "unixfs.md").read_text())
    found = re.search(r"(\d+) option sets for files, \d+ more on layout boundaries, (\d+) on the big file, (\d+) for "
                      r"trees, (\d+) for HAMT \((\d+) with another fanout than 256\); the CLI's printed lines byte "
                      r"for byte \((\d+) runs\)", text)
    assert found is not None, "docs/unixfs.md no longer counts test_unixfs_kubo's option sets"
    other_fanouts = sum(1 for _, options in t.HAMT_CASES if options.get("max_hamt_fanout", 256) != 256)
    actual = (len(t.FILE_OPTIONS), len(t.BIG_OPTIONS), len(t.TREE_OPTIONS), len(t.HAMT_CASES), other_fanouts,
              len(t.CLI_FLAGS))
    assert tuple(map(int, found.groups())) == actual


def test_the_template_table_is_the_kits_languages_and_kinds() -> None:
    """docs/abi.md section 7: each language row names the templates ``autocodec/templates/LANG/``
    holds, and the count of toy codecs is the count of languages (it said three after Rust came)."""
    text = (REPO / "docs" / "abi.md").read_text()
    templates = REPO / "autocodec" / "templates"
    kits = {lang.name: {kind.name for kind in lang.iterdir() if kind.is_dir() and not kind.name.startswith("_")}
            for lang in templates.iterdir() if lang.is_dir() and not lang.name.startswith("_")}
    table = text.split("| language | `module new --lang` |", 1)[1].split("\n\n", 1)[0]
    rows = dict(re.findall(r"^\| \w+ \| `(\w+)` \| ([a-z, ]+) \|", table, re.M))
    assert {lang: set(kinds.split(", ")) for lang, kinds in rows.items()} == kits
    words = {2: "two", 3: "three", 4: "four", 5: "five"}
    counted = re.search(r"so the (\w+) toy codecs provably behave", re.sub(r"\s+", " ", text))
    assert counted is not None and counted[1] == words[len(kits)], counted and counted[1]


def _tables(path: Path) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each run of ``|`` lines outside code fences."""
    found: list[tuple[int, list[str]]] = []
    fenced, start = False, 0
    run: list[str] = []
    for number, line in enumerate([*path.read_text().splitlines(), ""], 1):
        fenced = not fenced if line.startswith("```") else fenced
        if not fenced and line.startswith("|"):
            start, run = (start if run else number), [*run, line]
            continue
        if run:
            found.append((start, run))
        run = []
    return found


def test_every_table_in_the_docs_has_a_header_and_whole_rows() -> None:
    """A run of table rows starts with a header and its ``|---|`` line, and every row has the
    header's cells (docs/abi.md's hasher table had a blank line before its two xof rows, which
    then rendered as plain text)."""
    wrong = []
    for doc in DOCS:
        for start, rows in _tables(doc):
            cells = [len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) for row in rows]
            if len(rows) < 2 or not re.fullmatch(r"\|[\s:|-]+", rows[1].strip()):
                wrong.append(f"{doc.name}:{start}: no header line")
            elif any(n != cells[0] for n in cells[2:]):
                wrong.append(f"{doc.name}:{start}: rows of {sorted(set(cells))} cells")
    assert not wrong, wrong


def test_the_verifier_exports_abi_md_lists_are_the_shipped_bao_modules() -> None:
    """Every export of docs/abi.md's verifier table is one the shipped ``bao`` module has, and the
    page calls none of its features missing (it said chunk groups "are not implemented" beside
    the section on them, with ``ac_vfy_groups`` shipped since bao 1.3.0)."""
    from autocodec.loader import inspect_module

    text = (REPO / "docs" / "abi.md").read_text()
    verifier = text.split("### verifier", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(ac_(?:vfy|enc)_\w+)\(", verifier, re.M))
    info = inspect_module((REPO / "wasm-src" / "bao" / "bao.wasm").read_bytes())
    assert len(listed) >= 9 and all(info.has_export(name) for name in listed), listed
    assert not re.search(r"chunk\s+groups[^.]*\bnot implemented", verifier, re.I)


def test_the_worked_examples_module_json_is_git_raws() -> None:
    """docs/abi.md section 6 quotes wasm-src/git-raw/module.json: its fields but the shortened
    description are the file's (the quote said version 2.0.0 after 2.0.1 shipped)."""
    import json

    text = (REPO / "docs" / "abi.md").read_text()
    quoted = re.search(r'```json\n(\{"name": "git-raw".*?)\n "description"', text, re.S)
    assert quoted is not None, "docs/abi.md no longer quotes git-raw's module.json"
    actual = json.loads((REPO / "wasm-src" / "git-raw" / "module.json").read_text())
    fields = json.loads(quoted[1].rstrip(",") + "}")
    assert fields == {k: actual[k] for k in fields}


def test_the_commands_readme_says_take_module_are_the_parsers() -> None:
    """README's "`--module FILE` ... on the commands that read or write blocks" list names each
    command (or group) whose parser has ``--module``, and no other (``resolve`` was missing)."""
    text = re.sub(r"\s+", " ", (REPO / "README.md").read_text())
    listed = re.search(r"on the commands that read or write blocks: (.*?)\. ", text)
    assert listed is not None, "README no longer lists the commands that take --module"
    named = set()
    for code in re.findall(r"`([^`]+)`", listed[1]):
        group, _, actions = code.partition(" ")
        named |= {f"{group} {a}" for a in actions.split("|")} if actions else {group}
    with_module = {name for name, options in _leaf_commands(PARSER, []).items() if "--module" in options}
    assert {name.split()[0] if name.split()[0] in named else name for name in with_module} == named
