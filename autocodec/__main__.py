import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is imported: one line, as later
    print("autocodec: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
