"""Build hook for the optional C helpers (pyproject.toml holds all metadata).

Two small C extensions: autocodec.builtin._cscan (scans for the builtin DAG-CBOR, DAG-JSON and
DAG-PB decoders) and autocodec.loader._hotcall (one guest call with its input, output and
instance reset in one C call). ``optional=True`` keeps installs working without a C compiler;
autocodec then falls back to pure-Python twins with the same results, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "autocodec.builtin._cscan",
            ["autocodec/builtin/_cscan.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "autocodec.loader._hotcall",
            ["autocodec/loader/_hotcall.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
