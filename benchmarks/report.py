"""Summaries that survive noisy machines, and the plain-text tables that show them."""

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spread:
    """A median with the smallest and largest values it was taken from."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values):
        values = list(values)
        return cls(statistics.median(values), min(values), max(values))

    def show(self, digits=0, unit=""):
        if self.low == self.high:
            return f"{self.median:.{digits}f}{unit}"
        return f"{self.median:.{digits}f}{unit} ({self.low:.{digits}f}–{self.high:.{digits}f})"

    def as_dict(self):
        return {"median": self.median, "min": self.low, "max": self.high}

    @classmethod
    def from_dict(cls, values):
        """The inverse of as_dict(), for figures the project's benchmark reports."""
        return cls(values["median"], values["min"], values["max"])


def ratios(numerators, denominators):
    """Pairwise ratios of two series measured side by side, round by round."""
    return Spread.of(a / b for a, b in zip(numerators, denominators, strict=True))


def verdict(ratio, target, *, at_most):
    """Say whether a ratio of medians meets its target."""
    met = ratio <= target if at_most else ratio >= target
    return "meets" if met else "MISSES"


@dataclass
class Table:
    """A figure's table: a title, aligned columns, notes under it."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells):
        self.rows.append([str(cell) for cell in cells])

    def note(self, text):
        self.notes.append(text)

    def render(self):
        widths = [max(len(row[index]) for row in [self.columns, *self.rows]) for index in range(len(self.columns))]

        def line(cells):
            # The first column reads left to right; figures line up on the right.
            first, *rest = cells
            parts = [first.ljust(widths[0])]
            parts += [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
            return "  " + "  ".join(parts).rstrip()

        rule = "  " + "  ".join("-" * width for width in widths)
        text = [self.title, line(self.columns), rule, *(line(row) for row in self.rows)]
        text += [f"  {note}" for note in self.notes]
        return "\n".join(text)
