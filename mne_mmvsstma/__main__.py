"""``python -m mne_mmvsstma`` runs the command line (so that ``torchrun -m mne_mmvsstma`` works)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
