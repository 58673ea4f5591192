"""Sending one signed webhook POST, under the same SSRF rules as fetching sources."""

from __future__ import annotations

import time
import urllib.request

import requests

from aggregator.errors import AggregatorError, FetchError
from aggregator.fetch.netguard import check_literal_host, check_proxied_target, guard
from aggregator.notify.signing import HEADER, header_value

TIMEOUT = 10.0  # seconds, connect and read
USER_AGENT = "safeguarding-feeds-webhook/1"


class DeliveryError(AggregatorError):
    """A delivery failed; `permanent` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def post_webhook(
    session: requests.Session,
    url: str,
    secret: str,
    body: bytes,
    *,
    delivery_id: int,
    event: str,
    allow_private: bool,
) -> None:
    """POST `body` signed with `secret`; DeliveryError unless the receiver answers 2xx.
    Redirects are not followed: a receiver that moved is a failure to look at."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Aggregator-Event": event,
        "Aggregator-Delivery": str(delivery_id),
        HEADER: header_value(secret, body, int(time.time())),
    }
    try:
        with guard(allow_private):
            check_literal_host(url, allow_private)
            if urllib.request.getproxies():
                check_proxied_target(url)
            response = session.post(
                url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
            )
    except FetchError as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    except requests.RequestException as exc:
        raise DeliveryError(f"{url} unreachable: {exc}") from exc
    response.close()
    if not 200 <= response.status_code < 300:
        permanent = response.status_code in (400, 401, 403, 404, 410, 422)
        raise DeliveryError(f"{url} answered {response.status_code}", permanent=permanent)
