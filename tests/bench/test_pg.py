"""The PostgreSQL bench at a tiny scale, on the tests' own cluster and S3: it cannot rot."""

from __future__ import annotations

from pathlib import Path

from bench import pg
from tests.backends import MotoS3, PostgresCluster


def _state(cluster: PostgresCluster, database: str) -> str:
    return cluster.psql(
        "SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes "
        "WHERE tablename IN ('message', 'document', 'document_fts');"
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'document_fts_sync'",
        database,
    )


def test_the_loaded_database_is_as_production_leaves_it(postgres: PostgresCluster, tmp_path: Path) -> None:
    database = postgres.create_database()
    before = _state(postgres, database)
    store = pg.open_store(tmp_path, postgres.url(database))
    try:
        _, measured = pg.seed(store, 1500)
    finally:
        store.engine.dispose()

    assert _state(postgres, database) == before  # every index back, the trigger on again
    counts = postgres.psql("SELECT count(*) FROM document; SELECT count(*) FROM document_fts", database)
    assert counts.split() == ["1500", "1500"]
    assert measured == 300
    postgres.drop_database(database)


def test_the_tables_have_a_figure_in_every_row(postgres: PostgresCluster, s3: MotoS3, tmp_path: Path) -> None:
    listing = pg.listing(postgres, 1000, 1, tmp_path)
    dns = pg.empty_dns()
    ingest = [  # the spread over two, on each blob store, and the SQLite figure beside them
        *pg.ingest(postgres, None, 1.0, 16, tmp_path, processes=(2,), dns=dns),
        *pg.ingest(postgres, s3, 1.0, 16, tmp_path, processes=(2,), dns=dns),
        pg.sqlite_reference(1.0, 16, tmp_path, dns),
    ]

    rows = [line for line in listing if line.startswith("| ") and not line.startswith("| request")]
    assert len(rows) == len(pg.pg_cases(None, ""))
    for row in rows:
        figures = [cell.strip() for cell in row.strip("|").split("|")[1:4]]
        assert all(float(f) > 0 for f in figures), row
    labels = [row.split("|")[1:3] for row in ingest]
    assert labels[:2] == [[" PostgreSQL, files ", " 2 "], [" PostgreSQL, S3 (moto) ", " 2 "]]
    assert labels[2][0].startswith(" SQLite")
    for row in ingest:
        figures = [cell.strip() for cell in row.strip("|").split("|")[2:6]]
        assert all(float(f) > 0 for f in figures), row
    assert len(pg.INGEST_HEAD[-2].split("|")) == len(ingest[0].split("|"))
