"""``iqc config show``: print the effective configuration (``iqc.toml`` merged with the defaults).

Which file was used and what every setting is, thresholds included (the model's own where the
file sets none), so a reviewer can check that a rule really is off before trusting a run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlp.cli import EXIT_OK, EXIT_USAGE, failed


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="show the effective configuration (iqc.toml)",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print the effective configuration as TOML")
    show.add_argument("--config", type=Path, default=None, metavar="FILE",
                      help="configuration (default: $IQC_CONFIG, else ./iqc.toml when it exists)")
    show.add_argument("--models-dir", type=Path, default=None, help="model directory (default: bundled models/)")
    show.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from nlp.artifacts import ArtifactError
    from nlp.config import ConfigError, find_config, load_config, model_thresholds, to_toml

    try:
        config = load_config(find_config(args.config))
        thresholds = model_thresholds(args.models_dir)
        config.check_thresholds(thresholds)
    except ConfigError as error:
        return failed(error, EXIT_USAGE)
    except ArtifactError as error:
        return failed(error)
    sys.stdout.write(to_toml(config, thresholds))
    return EXIT_OK
