"""The seed sources.toml: valid, serving Manchester's partnership, each source explained."""

from __future__ import annotations

import re
from pathlib import Path

from aggregator.config import check_config, load_config

SEED = Path(__file__).parents[2] / "sources.toml"


def test_the_seed_file_is_valid_and_serves_the_partnership() -> None:
    assert check_config(SEED) == []
    ids = {source.id for source in load_config(SEED).sources}
    assert {"msp-news", "govuk-home-office-dhr", "govuk-dhr"} <= ids


def test_every_source_active_or_not_says_what_it_is_in_a_comment() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    headers = [n for n, line in enumerate(lines) if re.match(r"^#?\s*\[\[source\]\]", line)]
    for n in headers:
        assert lines[n - 1].startswith("#"), f"line {n + 1}: a source without a comment above"
    commented_out = [n for n in headers if lines[n].startswith("#")]
    assert len(commented_out) >= 4
    for n in commented_out:
        block = "\n".join(lines[max(0, n - 8) : n])
        assert "Not enabled:" in block, f"line {n + 1}: commented out without saying why"
