"""`pip install -e .` printed the same setuptools deprecation three times (`project.license` as a TOML
table); a newcomer cannot act on it. The license is an SPDX string and the build backend new enough to
read it (PEP 639, setuptools >= 77)."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text())


def test_license_is_an_spdx_string_and_the_backend_reads_it():
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in " ".join(PYPROJECT["build-system"]["requires"])
    assert not any(c.startswith("License ::") for c in PYPROJECT["project"].get("classifiers", []))
