"""Reviewers' decisions on findings: the SQLite store, suppression of rejected findings in later
runs, importing reviewed workbooks, and the ``/review`` page of ``iqc serve``."""
