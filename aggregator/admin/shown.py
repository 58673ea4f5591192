"""What the console shows of an error message: internal addresses and absolute paths left out
(they tell whoever reads the page about the network and the machine); public ones stay."""

from __future__ import annotations

import re

from aggregator.fetch.netguard import forbidden_address

INTERNAL = "[internal address]"
_PATH = re.compile(r"(?<![\w:/.~-])(?:/[\w.@+~-]+)+/([\w.@+~-]+)")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def shown(message: str | None) -> str:
    """`message` with each absolute path cut to its last part and each internal IP address
    replaced by "[internal address]"."""
    text = _PATH.sub(lambda m: m.group(1), message or "")
    return _IPV6.sub(_address, _IPV4.sub(_address, text))


def _address(match: re.Match[str]) -> str:
    try:
        return INTERNAL if forbidden_address(match.group()) else match.group()
    except ValueError:  # looked like an address, is not one (a time, a version)
        return match.group()
