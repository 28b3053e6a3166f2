"""The path gateway's answers beside Kubo 0.43.1's, where the audit of session 12 found them apart.

A file's ``Content-Type`` from its name (or ``?filename=``) is what Go's
``mime.TypeByExtension(path.Ext(name))`` gives Kubo: the last extension only, Go 1.26's own table
first, then the host's as Go reads them (shared-mime-info's globs2 where there is one, else
mime.types; Python's ``mimetypes`` reads mime.types and a table of its own), and a name never read
as a URL. Python's ``mimetypes.guess_type`` read ``a.tar.gz`` as tar
and ``page.html.gz`` as HTML (a compression suffix is an "encoding" to it), and
``?filename=data:text/html,x`` as a ``data:`` URL of type ``text/html``: any file on the shared
path-gateway origin could be served as HTML by a link. The fast rows check the function; the slow
row asks both gateways.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from autocodec.serve._content_type import content_type_for, type_by_file_name

HTML = b"<html><body>hi</body></html>\n"

# (name the type is read from, the file's first bytes, Kubo 0.43.1's Content-Type)
NAMED = [
    ("site.tar.gz", gzip.compress(b"x"), "application/gzip"),
    ("page.html.gz", gzip.compress(HTML), "application/gzip"),
    ("pic.svg.gz", gzip.compress(b"<svg/>"), "application/gzip"),
    ("ARCHIVE.TAR.GZ", gzip.compress(b"x"), "application/gzip"),
    ("data:text/html,x", b"# plain\n", "text/plain; charset=utf-8"),
    ("data:text/html;base64,PHA+", b"# plain\n", "text/plain; charset=utf-8"),
    ("a.xml", b"<a/>\n", "text/xml; charset=utf-8"),  # Go's own table: not application/xml
    ("a.svg", b"<svg/>\n", "image/svg+xml"),
    ("a.txt.", b"dot\n", "text/plain; charset=utf-8"),  # Go's Ext is "." here: no type, read from the bytes
    # Go 1.26's own table (Kubo 0.43.1 is built with go1.26.8), whatever the host's tables say
    ("a.wav", b"RIFF", "audio/wav"), ("a.webm", b"\x1aE", "audio/webm"), ("a.exe", b"MZ", "application/octet-stream"),
    ("a.EPS", b"%!", "application/postscript"), ("a.xhtml", b"<p/>", "application/xhtml+xml"),
    ("a.shtml", b"<p/>", "text/html"),  # boxo leaves the charset of HTML to the browser
]


@pytest.mark.parametrize(("name", "head", "expected"), NAMED, ids=[row[0] for row in NAMED])
def test_a_names_type_is_that_of_its_last_extension_as_kubo_reads_it(name: str, head: bytes, expected: str) -> None:
    assert content_type_for(name, head, True) == expected


def test_a_name_is_never_read_as_a_url() -> None:
    assert type_by_file_name("data:text/html,x") is None
    assert type_by_file_name("a.b/c") is None
    assert type_by_file_name("noext") is None


FILES = {"site.tar.gz": gzip.compress(b"x"), "page.html.gz": gzip.compress(HTML), "a.xml": b"<a/>\n",
         "notes.md": b"# plain\n", "noext": HTML}
# (path under the site, Range or None): the file's name or ?filename= gives the type
ASKED = [("site.tar.gz", None), ("page.html.gz", None), ("a.xml", None), ("page.html.gz", "bytes=2-"),
         ("notes.md?filename=data:text/html,x", None), ("notes.md?filename=data%3Atext%2Fhtml%2Cx", None),
         ("noext?filename=page.html.gz", None), ("noext?filename=site.tar.gz", "bytes=3-"),
         ("notes.md?filename=x.svg.gz&download=true", None),
         # the host's tables, read by both on this host: Go reads shared-mime-info's globs2 before mime.types
         *((f"notes.md?filename=x.{extension}", None) for extension in (
             "yaml", "toml", "tgz", "svgz", "bz2", "webmanifest", "car", "wav", "webm", "exe", "eps", "heic", "go",
             "rs", "php", "sh", "log", "patch", "C", "JPG", "otf", "iso", "jar", "ipynb",
             "ime", "IMY",  # shared-mime-info's text/x-iMelody: Go writes it lower-cased
             "%C4%B0CO", "G%C4%B0F"))]  # U+0130: Go lowers it to i


@pytest.mark.slow
@pytest.mark.ipfs
def test_a_files_type_by_its_name_is_kubos(tmp_path: Path) -> None:
    from tests._dnslink_sides import dnslink_sides
    from tests._gateway_http import fetch_checked
    from tests._kubo import require_kubo

    require_kubo()
    folder = tmp_path / "site"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    differ = []
    with dnslink_sides(tmp_path, folder, lambda root: {}) as sides:
        for path, span in ASKED:
            for method in ("GET", "HEAD"):
                headers = {} if span is None else {"Range": span}
                kubo = fetch_checked(sides.kubo, f"/ipfs/{sides.root}/{path}", headers, method)
                ours = fetch_checked(sides.ours, f"/ipfs/{sides.root}/{path}", headers, method)
                for name in ("content-type", "content-disposition"):
                    if (kubo.status, kubo.headers.get(name)) != (ours.status, ours.headers.get(name)):
                        differ.append((path, span, method, name, kubo.status, kubo.headers.get(name),
                                       ours.status, ours.headers.get(name)))
    assert not differ, differ


# A DNSLink (or IPNS) value that ends at a file, or at a symlink: Kubo types the file by the
# path asked for (boxo's getFilename: none at /ipns/{domain}, so notes.md's bytes are sniffed),
# where this server typed it by the value's last segment (text/markdown); a symlink reached
# through a name has the resolution time as Last-Modified, as a file has, where here it had none;
# and ``?filename=`` gives a symlink its Content-Disposition, as a file's.
NAMED_SITE = {"notes.md": b"# plain\n"}
BY_NAME = [("/ipns/file.test", {}), ("/ipns/file.test/", {}), ("/", {"Host": "file.test"}),
           ("/ipns/file.test", {"Range": "bytes=2-"}), ("/ipns/file.test?filename=x.html", {}),
           ("/ipns/site.test/notes.md", {}), ("/ipns/site.test/link", {}), ("/ipns/sym.test", {}),
           ("/link", {"Host": "site.test"}),
           ("/ipns/sym.test", {"If-Modified-Since": "Wed, 21 Oct 2099 07:28:00 GMT"}),
           # ?filename= names a symlink as it names a file (it was ignored for a symlink here)
           ("/ipfs/{root}/link?filename=x.html", {}), ("/ipfs/{root}/link?filename=x&download=true", {}),
           ("/ipns/sym.test?filename=y.txt", {}), ("/ipfs/{root}/link?filename=x", {"If-None-Match": "*"}),
           ("/ipfs/{root}/link?filename=x", {"Range": "bytes=0-1"})]


@pytest.mark.slow
@pytest.mark.ipfs
def test_a_file_or_symlink_reached_through_a_name_has_kubos_headers(tmp_path: Path) -> None:
    from tests._dnslink_sides import dnslink_sides
    from tests._gateway_http import fetch_checked
    from tests._kubo import require_kubo

    require_kubo()
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "notes.md").write_bytes(NAMED_SITE["notes.md"])
    (folder / "link").symlink_to("notes.md")
    differ = []
    with dnslink_sides(tmp_path, folder, lambda root: {"file.test": f"/ipfs/{root}/notes.md", "site.test": f"/ipfs/{root}",
                                                       "sym.test": f"/ipfs/{root}/link"}) as sides:
        for path, headers in BY_NAME:
            for method in ("GET", "HEAD"):
                kubo = fetch_checked(sides.kubo, path.format(root=sides.root), headers, method)
                ours = fetch_checked(sides.ours, path.format(root=sides.root), headers, method)
                seen = [(reply.status, reply.headers.get("content-type"), reply.headers.get("content-disposition"),
                         "last-modified" in reply.headers) for reply in (kubo, ours)]
                if seen[0] != seen[1]:
                    differ.append((path, headers, method, *seen))
    assert not differ, differ


# A suffix range of an empty file: there are no last bytes to send. Kubo 0.43.1's GET is a 500
# ("negative start bigger than the file size", docs/gateway.md: not copied, as for any suffix
# longer than the file); this server sent a 206 with ``Content-Range: bytes 0--1/0``, a range
# whose end comes before its start (RFC 9110 14.4 has none such). Now the whole empty file, a 200,
# as both answer ``bytes=0-0`` there. A HEAD keeps Go's own answer (206, ``0--1/0``), as Kubo's.
@pytest.mark.parametrize(("header", "size", "head", "expected"), [
    ("bytes=-1", 0, False, None), ("bytes=-100", 0, False, None), ("bytes=-1,0-", 0, False, None),
    ("bytes=-1", 0, True, (0, -1)), ("bytes=-3", 5, False, (2, 4)), ("bytes=-9", 5, False, (0, 4)),
    ("bytes=-0", 5, False, (5, 4)),  # Kubo's zero-length suffix, kept
])
def test_a_suffix_of_an_empty_file_names_no_bytes_before_the_first(header: str, size: int, head: bool,
                                                                     expected: tuple[int, int] | None) -> None:
    from autocodec.serve._ranges import parse_range

    assert parse_range(header, size, head=head) == expected


@pytest.mark.slow
@pytest.mark.ipfs
def test_a_suffix_range_of_an_empty_file_is_the_empty_file(tmp_path: Path) -> None:
    from tests._dnslink_sides import dnslink_sides
    from tests._gateway_http import fetch_checked
    from tests._kubo import require_kubo

    require_kubo()
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    with dnslink_sides(tmp_path, folder, lambda root: {}) as sides:
        path = f"/ipfs/{sides.root}/empty.txt"
        for spec in ("bytes=-1", "bytes=-100"):
            kubo = fetch_checked(sides.kubo, path, {"Range": spec})
            ours = fetch_checked(sides.ours, path, {"Range": spec})
            assert kubo.status == 500 and b"negative start bigger than the file size" in (kubo.body or b"")
            assert (ours.status, ours.body, ours.headers.get("content-range")) == (200, b"", None)
            kubo = fetch_checked(sides.kubo, path, {"Range": spec}, "HEAD")
            ours = fetch_checked(sides.ours, path, {"Range": spec}, "HEAD")
            assert (ours.status, ours.headers.get("content-range")) == (kubo.status, kubo.headers.get("content-range"))


# A directory whose ``index.html`` is no file (a folder, or a symlink, so named): Kubo 0.43.1
# answers 422 ``index.html could not be read: not a file`` (boxo's serveDirectory); this server
# served the folder as an empty text/html file (a 200) and the symlink as a 500.
@pytest.mark.slow
@pytest.mark.ipfs
def test_an_index_html_that_is_no_file_is_kubos_422(tmp_path: Path) -> None:
    from tests._dnslink_sides import dnslink_sides
    from tests._gateway_http import fetch_checked
    from tests._kubo import require_kubo

    require_kubo()
    folder = tmp_path / "site"
    (folder / "folder" / "index.html").mkdir(parents=True)
    (folder / "folder" / "index.html" / "x.txt").write_text("x\n")
    (folder / "link").mkdir()
    (folder / "link" / "index.html").symlink_to("../x.txt")
    (folder / "x.txt").write_text("x\n")
    differ = []
    with dnslink_sides(tmp_path, folder, lambda root: {"site.test": f"/ipfs/{root}"}) as sides:
        for path, headers in ((f"/ipfs/{sides.root}/folder/", {}), (f"/ipfs/{sides.root}/link/", {}),
                              ("/folder/", {"Host": "site.test"}), (f"/ipfs/{sides.root}/folder/", {"Range": "bytes=0-1"})):
            for method in ("GET", "HEAD"):
                kubo = fetch_checked(sides.kubo, path, headers, method)
                ours = fetch_checked(sides.ours, path, headers, method)
                seen = [(reply.status, reply.headers.get("content-type"), reply.headers.get("x-ipfs-roots"), reply.body)
                        for reply in (kubo, ours)]
                if seen[0] != seen[1]:
                    differ.append((path, method, *seen))
                assert kubo.status == 422, kubo
    assert not differ, differ
