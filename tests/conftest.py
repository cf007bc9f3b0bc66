"""Shared fixtures: private copies of the bundled example media."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """A private copy of the example media folder."""
    target = tmp_path / "media"
    shutil.copytree(EXAMPLES, target)
    return target
