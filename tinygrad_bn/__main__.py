"""``python -m tinygrad_bn``: the same as the ``tinygrad-bn`` command."""

import sys

from tinygrad_bn.cli import main

sys.exit(main())
