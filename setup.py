"""Build hook for the optional C helpers (pyproject.toml holds all metadata).

autocodec.builtin._cscan is a small C extension (depth scans for the builtin DAG-CBOR and
DAG-JSON decoders); ``optional=True`` keeps installs working without a C compiler, and
autocodec then falls back to a slower pure-Python scan with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "autocodec.builtin._cscan",
            ["autocodec/builtin/_cscan.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
