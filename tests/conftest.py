"""Shared fixtures: the project root, a built flagship, the shared checker's location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SOURCE_DATE_EPOCH", "1673308800")   # 2023-01-10: reproducible builds


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def flagship_pdf(tmp_path_factory) -> Path:
    """The flagship built once per session through the public pipeline."""
    from briefing.pipeline import BuildRequest, build

    out = tmp_path_factory.mktemp("flagship") / "jilin-2023.pdf"
    build(BuildRequest(source=ROOT / "data" / "jilin-2023", output=out))
    return out


@pytest.fixture(scope="session")
def digest_pdf(tmp_path_factory) -> Path:
    from briefing.pipeline import BuildRequest, build

    out = tmp_path_factory.mktemp("digest") / "notes.pdf"
    build(BuildRequest(source=ROOT / "data" / "digest" / "notes.md", output=out))
    return out
