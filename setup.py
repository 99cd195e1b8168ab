"""Package layout that pyproject.toml cannot express: ``data/`` and ``models/`` ship inside the wheel.

They are mapped onto ``nlp._home.data`` and ``nlp._home.models`` (files listed by
``[tool.setuptools.package-data]``), so a built wheel or ``pip install .`` carries them and
:mod:`nlp.resources` finds them without a checkout; the repository keeps its layout. The
subpackages of ``nlp`` are still found automatically, so a new one needs no entry here.
"""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["nlp", "nlp.*"]), "nlp._home.data", "nlp._home.models"],
    package_dir={"nlp._home.data": "data", "nlp._home.models": "models"},
)
