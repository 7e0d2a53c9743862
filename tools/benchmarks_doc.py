"""Rebuild docs/benchmarks.md from the per-topic files in docs/benchmarks/ (python tools/benchmarks_doc.py)."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    parts = [
        "# Benchmarks\n",
        "Every figure comes from a command under `bench/` (each prints its own figures). Machine: python-svc,",
        "2 cores, 24 GiB; dates 2026-11-22 to 2026-12-02 (each section gives its own). During these runs several developers shared the two cores, so the",
        "figures are pessimistic; re-run the command named in each section on an idle machine to compare.\n",
        "This page is assembled from `docs/benchmarks/*.md` by `python tools/benchmarks_doc.py`.\n",
    ]
    for path in sorted((DOCS / "benchmarks").glob("*.md")):
        text = path.read_text(encoding="utf-8").strip()
        # Demote the topic's headings one level so they sit under this page's title.
        text = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
        parts.append(f"<!-- from docs/benchmarks/{path.name} -->\n{text}\n")
    (DOCS / "benchmarks.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
