"""``python -m nlp.cli``: the ``iqc`` command without its console script (a checkout on ``PYTHONPATH``)."""
import sys

from nlp.cli import main

sys.exit(main())
