#!/usr/bin/env python3
"""Python trafilatura on the same 90 corpus pages, for the speed ratio in the README.

Not run by CI. Reproduce with:
    pip install trafilatura==2.3.1 lxml_html_clean
    python3 benches/trafilatura_baseline.py
It decodes each page the way `cargo bench --bench extraction` does (UTF-8 with
replacement; trafilatura sniffs the rest itself), extracts with trafilatura's defaults,
and prints pages per CPU-second, the median of three passes, parse included.
"""

import gzip
import pathlib
import statistics
import sys
import time

import trafilatura


def shared_dir() -> pathlib.Path:
    here = pathlib.Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared", pathlib.Path("/work/shared")):
        if (candidate / "corpus/aeb-dev/html").is_dir():
            return candidate
    sys.exit("shared/ not found beside the repository")


def main() -> None:
    pages = [
        gzip.decompress(p.read_bytes())
        for p in sorted((shared_dir() / "corpus/aeb-dev/html").glob("*.html.gz"))
    ]
    runs = []
    for _ in range(3):
        start = time.process_time()
        for page in pages:
            trafilatura.extract(page)
        runs.append(time.process_time() - start)
    median = statistics.median(runs)
    print(
        f"trafilatura {trafilatura.__version__}: {len(pages)} pages in {median * 1000:.1f} ms CPU "
        f"(median of 3) = {len(pages) / median:.0f} pages per CPU-second"
    )


if __name__ == "__main__":
    main()
