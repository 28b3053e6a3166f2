"""The embedded block store and CAR files.

``BlockStore.open(home)`` gives verified, crash-safe block storage in the home folder's
SQLite database; ``import_car``/``export_car`` move DAGs in and out as CAR files. Other
wings keep their state in the same database through ``register_migration`` and
``BlockStore.transaction()``. See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from ._blockstore import BlockStat, BlockStore, Verifier, connect_writable, translate_sqlite_error
from ._car import CarReader, CarWriter, read_section_at
from ._links import LinkFinder, builtin_links, links_in
from ._schema import Migration, migrate, migrate_in, register_migration, schema_version
from ._transfer import CarExport, CarImport, export_car, export_car_file, import_car
from ._wing_db import WingDatabase

__all__ = [
    "BlockStat",
    "BlockStore",
    "CarExport",
    "CarImport",
    "CarReader",
    "CarWriter",
    "LinkFinder",
    "Migration",
    "Verifier",
    "WingDatabase",
    "builtin_links",
    "connect_writable",
    "export_car",
    "export_car_file",
    "import_car",
    "links_in",
    "migrate",
    "migrate_in",
    "read_section_at",
    "register_migration",
    "schema_version",
    "translate_sqlite_error",
]
