"""`python -m mediasync.sandbox`: serve the emulator from the command line."""

from mediasync.sandbox.cli import main

raise SystemExit(main())
