#!/usr/bin/env python3
"""urlwatch on the pages of `cargo bench --bench cycle`, and the ratios against redline.

Run `cargo bench --bench cycle` first (it writes target/cycle-bench.json), then
`python3 benches/urlwatch_cycle.py`. This script serves the same pages the same way —
the shared corpus's 90 pages repeated under distinct addresses up to the same N, with
ETag and Last-Modified, 304 on If-None-Match, 5 % of them edited in the third cycle by
replacing the same word of their article text — and runs urlwatch 2.29 on them with one
job per page and its html2text filter (installed into target/urlwatch-venv on first
use). Each urlwatch run is a child process measured by the kernel (os.wait4: user +
system CPU, peak RSS). It prints urlwatch's figures, redline's from the JSON, and the
three ratios urlwatch / redline. It asserts nothing.

Options: --rounds R (default 3, medians).
"""

import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Cargo's target directory: `CARGO_TARGET_DIR` when set, as `benches/cycle` writes there.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
VENV = TARGET / "urlwatch-venv"
EDITED_PERCENT = 5


def shared_dir():
    for p in (REPO.parent / "shared", Path("/work/shared")):
        if (p / "corpus" / "aeb-dev").is_dir():
            return p
    sys.exit("no shared/corpus/aeb-dev beside the repository")


def urlwatch_bin():
    exe = VENV / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "urlwatch==2.29", "html2text"],
            check=True,
        )
    return exe


def load_corpus(dirpath):
    keys = sorted(p.name[: -len(".html.gz")] for p in (dirpath / "html").glob("*.html.gz"))
    pages = [gzip.decompress((dirpath / "html" / f"{k}.html.gz").read_bytes()) for k in keys]
    truth = json.loads((dirpath / "ground-truth.json").read_text())
    edits = []
    # The same rule as benches/cycle.rs: the first word of 7+ ASCII letters of the
    # human-written text found as " word " after <body.
    for key, page in zip(keys, pages):
        point = None
        body = truth.get(key, {}).get("articleBody", "")
        text = page.decode("utf-8", "replace")
        start = text.find("<body")
        if start >= 0:
            for w in body.split():
                if len(w) >= 7 and w.isascii() and w.isalpha():
                    at = text.find(f" {w} ", start)
                    if at >= 0:
                        a = len(text[: at + 1].encode("utf-8"))
                        point = (a, a + len(w.encode("utf-8")))
                        break
        edits.append(point)
    return pages, edits


class Site:
    def __init__(self, pages, edits, n):
        self.pages, self.edits, self.n = pages, edits, n
        self.generation = [0] * n

    def page(self, j):
        c = j % len(self.pages)
        page, g = self.pages[c], self.generation[j]
        if g and self.edits[c]:
            a, b = self.edits[c]
            return page[:a] + f"revised{g}".encode() + page[b:]
        return page


def handler(site):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            parts = self.path.split("/")
            if len(parts) != 3 or parts[1] != "a" or not parts[2].isdigit() or int(parts[2]) >= site.n:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            j = int(parts[2])
            g = site.generation[j]
            etag = f'"{j}-{g}"'
            modified = time.strftime(
                "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(1_764_000_000 + g * 3600)
            )
            if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                return
            body = site.page(j)
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return H


def run_urlwatch(exe, workdir, base, n):
    urls = workdir / "urls.yaml"
    if not urls.exists():
        urls.write_text(
            "\n---\n".join(
                f"name: page {j}\nurl: {base}/a/{j}\nfilter:\n  - html2text" for j in range(n)
            )
            + "\n"
        )
        (workdir / "urlwatch.yaml").write_text(
            "report:\n  stdout:\n    enabled: false\n  text:\n    details: true\n"
        )
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            str(exe),
            "--urls", str(urls),
            "--config", str(workdir / "urlwatch.yaml"),
            "--hooks", str(workdir / "hooks.py"),
            "--cache", str(workdir / "cache.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"urlwatch failed: {err[-2000:]}")
    size = sum(p.stat().st_size for p in workdir.glob("cache.db*"))
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "store_mb": size / 1e6,
    }


def main():
    rounds = 3
    if "--rounds" in sys.argv:
        rounds = max(1, int(sys.argv[sys.argv.index("--rounds") + 1]))
    figures = TARGET / "cycle-bench.json"
    if not figures.exists():
        sys.exit(f"{figures} is missing: run `cargo bench --bench cycle` first")
    redline = json.loads(figures.read_text())
    n = redline["pages"]
    pages, edits = load_corpus(shared_dir() / "corpus" / "aeb-dev")
    site = Site(pages, edits, n)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    exe = urlwatch_bin()
    edited = [j for j in range(n) if edits[j % len(pages)]][:: 100 // EDITED_PERCENT]
    cycles = ["cold", "unchanged", "edited"]
    runs = {c: [] for c in cycles}
    for r in range(rounds):
        site.generation = [0] * n
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for cycle in cycles:
                if cycle == "edited":
                    for j in edited:
                        site.generation[j] += 1
                fig = run_urlwatch(exe, workdir, base, n)
                print(f"round {r + 1}: {cycle:<9} {fig['cpu_s']:.2f} CPU-s, {fig['wall_s']:.2f} s wall", file=sys.stderr)
                runs[cycle].append(fig)
    server.shutdown()
    print(f"urlwatch 2.29 (html2text filter) vs redline on {n} pages; {rounds} round(s), medians")
    print("cycle      urlwatch CPU-s  redline CPU-s  urlwatch/redline  urlwatch RSS  redline RSS  urlwatch store  redline store")
    for cycle in cycles:
        u = {k: statistics.median(f[k] for f in runs[cycle]) for k in runs[cycle][0]}
        rl = redline[cycle]
        print(
            f"{cycle:<10} {u['cpu_s']:>14.2f}  {rl['cpu_s']:>13.2f}  {u['cpu_s'] / rl['cpu_s']:>15.1f}×  "
            f"{u['peak_rss_mb']:>9.1f} MB  {rl['peak_rss_mb']:>8.1f} MB  {u['store_mb']:>11.1f} MB  {rl['store_mb']:>10.1f} MB"
        )


if __name__ == "__main__":
    main()
