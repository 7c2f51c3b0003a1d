"""The bench's README writer: it only ever touches the text between its markers."""

from __future__ import annotations

from bench.report import update_readme

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def test_missing_readme_is_skipped_with_a_message(tmp_path) -> None:
    message = update_readme(tmp_path / "README.md", "| table |")
    assert "does not exist" in message
    assert not (tmp_path / "README.md").exists()


def test_only_the_text_between_the_markers_is_replaced(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Performance\n\n{START}\nold\n{END}\n\n## After\nkept\n")
    update_readme(readme, "new")
    assert readme.read_text() == f"# x\n\n## Performance\n\n{START}\nnew\n{END}\n\n## After\nkept\n"


def test_a_readme_without_markers_gets_a_performance_section(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n")
    update_readme(readme, "new")
    assert readme.read_text() == f"# x\n\n## Performance\n\n{START}\nnew\n{END}\n"


def test_two_tables_keep_their_own_markers(tmp_path) -> None:
    readme = tmp_path / "README.md"
    web = "<!-- bench-web:start -->\n{}\n<!-- bench-web:end -->\n"
    readme.write_text(f"{START}\nold\n{END}\n" + web.format("old web"))
    update_readme(readme, "new web", marker="bench-web")
    assert readme.read_text() == f"{START}\nold\n{END}\n" + web.format("new web")
