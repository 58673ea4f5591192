"""Published documents in the store: written only when changed, served alike by every node."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults

from aggregator.store import Storage
from aggregator.web import create_app
from aggregator.web.dbsource import DatabaseSource
from tests.store.test_store import T0

ATOM = "application/atom+xml; charset=utf-8"


def test_only_changed_documents_are_rewritten(storage: Storage) -> None:
    docs = {"all.atom": (b"<feed>1</feed>", ATOM), "latest.html": (b"<p>hi</p>", "text/html")}
    assert storage.save_documents(docs, now=T0) == ["all.atom", "latest.html"]
    later = T0 + timedelta(hours=1)
    docs["all.atom"] = (b"<feed>2</feed>", ATOM)
    assert storage.save_documents(docs, now=later) == ["all.atom"]
    stored = storage.document("all.atom")
    assert stored is not None and stored.body == b"<feed>2</feed>" and stored.updated_at == later
    kept = storage.document("latest.html")
    assert kept is not None and kept.updated_at == T0
    assert storage.document_names() == ["all.atom", "latest.html"]
    assert storage.document("missing.atom") is None


def get(app: WSGIApplication, path: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, object] = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    answer: dict[str, object] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


def test_two_web_nodes_answer_with_the_same_bytes_and_etag(db_url: str, tmp_path: Path) -> None:
    writer = Storage.open(db_url)
    nodes = [Storage.open(db_url) for _ in range(2)]
    try:
        writer.save_documents({"all.atom": (b"<feed>x</feed>", ATOM)}, now=T0)
        answers = [
            get(create_app(tmp_path / f"n{n}", source=DatabaseSource(node)), "/all.atom")
            for n, node in enumerate(nodes)
        ]
        (status, headers, body), second = answers
        assert status.startswith("200") and body == b"<feed>x</feed>"
        assert headers["ETag"] == second[1]["ETag"] and second[2] == body
        assert headers["Content-Type"] == ATOM
        assert (
            get(create_app(tmp_path, source=DatabaseSource(nodes[0])), "/nope.atom")[0][:3] == "404"
        )
    finally:
        for storage in (writer, *nodes):
            storage.close()
