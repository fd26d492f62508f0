"""What each scenario reports: its figures, and the expectations it checked. A failed
expectation fails the run and is named at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

# The columns of the summary table, in the words of the issue.
COLUMNS = ("requests", "errors", "lost", "duplicates", "p95_ms")


@dataclass
class Result:
    name: str
    figures: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def expect(self, condition: bool, failure: str) -> None:
        if not condition:
            self.failures.append(failure)

    @property
    def ok(self) -> bool:
        return not self.failures


def figures_block(result: Result) -> str:
    lines = [f"== {result.name} ({result.seconds:.0f} s): {'ok' if result.ok else 'FAILED'}"]
    width = max((len(key) for key in result.figures), default=0)
    for key, value in result.figures.items():
        lines.append(f"   {key.ljust(width)}  {value}")
    for failure in result.failures:
        lines.append(f"   !! {failure}")
    return "\n".join(lines)


def summary_table(results: list[Result]) -> str:
    header = ("scenario", *COLUMNS, "verdict")
    rows = [header]
    for result in results:
        cells = [result.name]
        for column in COLUMNS:
            value = result.figures.get(column)
            cells.append("" if value is None else str(value))
        cells.append("ok" if result.ok else "FAILED")
        rows.append(tuple(cells))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            " | ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)
