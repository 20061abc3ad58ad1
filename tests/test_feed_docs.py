"""docs/feeds.md and its examples are what the contracts say, and the examples load."""

from workcomp.contracts import all_contracts
from workcomp.feed_docs import (
    DOCS_DIR,
    SOURCES,
    dbt_sources_path,
    render_dbt_sources,
    write_docs,
)
from workcomp.ingest.readers import open_delivered
from workcomp.settings import DBT_PROJECT_DIR


def test_feeds_doc_and_examples_match_the_contracts(tmp_path):
    write_docs(tmp_path)
    assert (tmp_path / "feeds.md").read_text(encoding="utf-8") == (DOCS_DIR / "feeds.md").read_text(
        encoding="utf-8"
    ), "docs/feeds.md is stale: run `workcomp docs`"
    for example in (tmp_path / "examples").iterdir():
        assert example.read_bytes() == (DOCS_DIR / "examples" / example.name).read_bytes(), (
            example.name
        )


def test_every_dataset_is_documented_with_an_example_that_reads():
    text = (DOCS_DIR / "feeds.md").read_text(encoding="utf-8")
    for table, contract in all_contracts().items():
        assert f"`{contract.source}/{contract.dataset}`" in text
        example = next((DOCS_DIR / "examples").glob(f"{table}.*"))
        rows = list(open_delivered(example, contract).rows)
        assert rows, table
        for column in contract.columns:
            assert f"`{column.name}`" in text


def test_dbt_sources_are_the_contracts():
    for source in SOURCES:
        committed = dbt_sources_path(source, DBT_PROJECT_DIR).read_text(encoding="utf-8")
        assert committed == render_dbt_sources(source), f"stale dbt sources for {source}"
