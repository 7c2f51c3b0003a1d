"""Words with their boxes, grouped into lines and cells, so labels can be paired by position.

A page is read as lines (words whose boxes share a band of height), and each line as cells:
runs of words with no wide gap between them. A cell is a label, a value, or a label with its
value ("Invoice No. 42"). Word boxes come from the PDF's text layer (pdfium, here) or from OCR;
plain text can be laid out too (lines, cells split at runs of spaces), so one field reader
serves every source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

MAX_WORDS = 20_000  # an invoice has a few thousand at most; more is a catalogue or an attack
CELL_GAP = 1.2  # a gap wider than this many line heights ends a cell
SAME_LINE = 0.5  # words whose middles are within half a height share a line
LINES_OPEN = 3  # a word may still join one of the last few lines (a slight skew, a tall word)


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a page; coordinates in points (or pixels), y growing downwards."""

    text: str
    page: int
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    page: int
    line: int  # index of its line in the layout
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)

    def overlaps_columns(self, other: Cell) -> bool:
        return min(self.x1, other.x1) - max(self.x0, other.x0) > 0


@dataclass(frozen=True, slots=True)
class Layout:
    lines: tuple[tuple[Cell, ...], ...]

    def text(self) -> str:
        return "\n".join("  ".join(cell.text for cell in line) for line in self.lines)


def layout_from_words(words: Iterable[Word]) -> Layout:
    """Lines top to bottom on each page, cells left to right on each line."""
    lines: list[list[Word]] = []
    ordered = sorted(words, key=lambda w: (w.page, _middle(w), w.x0))[:MAX_WORDS]
    for word in ordered:
        line = _line_for(lines[-LINES_OPEN:], word)
        if line is None:
            lines.append([word])
        else:
            line.append(word)
    cells: list[tuple[Cell, ...]] = []
    for words_of_line in lines:
        cells.append(_cells(sorted(words_of_line, key=lambda w: w.x0), len(cells)))
    return Layout(tuple(cells))


def layout_from_text(text: str) -> Layout:
    """A layout for text without positions: one line per line, cells split at 2+ spaces or tabs.

    Positions are character columns, so a value under its label still lines up when the text
    was laid out with spaces.
    """
    lines: list[tuple[Cell, ...]] = []
    for row, raw in enumerate(text.splitlines()):
        line = raw.replace("\t", "    ")
        cells = []
        for match in re.finditer(r"\S+(?:[ \u00a0\u202f\u2009]\S+)*", line):
            cells.append(
                Cell(
                    " ".join(match.group().split()),
                    page=0,
                    line=len(lines),
                    x0=float(match.start()),
                    top=float(row),
                    x1=float(match.end()),
                    bottom=row + 0.8,
                )
            )
        if cells:
            lines.append(tuple(cells))
    return Layout(tuple(lines))


def _middle(word: Word) -> float:
    return (word.top + word.bottom) / 2


def _line_for(open_lines: list[list[Word]], word: Word) -> list[Word] | None:
    """The line whose middle is nearest the word's, if within half a word height."""
    best, best_distance = None, None
    for line in open_lines:
        if line[0].page != word.page:
            continue
        middles = sorted(_middle(w) for w in line)
        height = median(w.bottom - w.top for w in line)  # OCR boxes may be a sliver: the line's
        distance = abs(middles[len(middles) // 2] - _middle(word))
        if distance <= SAME_LINE * height and (best_distance is None or distance < best_distance):
            best, best_distance = line, distance
    return best


def _cells(words: list[Word], line: int) -> tuple[Cell, ...]:
    height = median(w.bottom - w.top for w in words) or 1.0
    groups: list[list[Word]] = [[words[0]]]
    for word in words[1:]:
        if word.x0 - groups[-1][-1].x1 > CELL_GAP * height:
            groups.append([word])
        else:
            groups[-1].append(word)
    return tuple(
        Cell(
            " ".join(w.text for w in group),
            page=group[0].page,
            line=line,
            x0=group[0].x0,
            top=min(w.top for w in group),
            x1=group[-1].x1,
            bottom=max(w.bottom for w in group),
        )
        for group in groups
    )
