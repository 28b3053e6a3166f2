import os
import signal
import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is imported: one line, then killed by it, as later
    print("autocodec: interrupted", file=sys.stderr)
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    sys.exit(128 + signal.SIGINT)  # the signal blocked by the caller: its status instead

sys.exit(main())
