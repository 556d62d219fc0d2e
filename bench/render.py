"""PDF rendering throughput: documents per second per core for a typical
invoice (30 lines) through `invoices.render.render_pdf`, as a ratio to a bare
WeasyPrint render of a plain one-page HTML invoice measured in the same run,
and the speed-up of a 2-process pool over a 1-process pool.

Per-core rates are measured in CPU seconds of this process (wall-clock rates
are printed alongside), rounds alternate baseline and ours, and the median
ratio is reported, so load from other processes hits both sides alike. The
pool speed-up is wall clock by nature: on a loaded machine it is a floor.

    .venv/bin/python -m bench.render [--docs 40] [--rounds 3] [--lines 30]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import weasyprint
from pypdf import PdfReader

from invoices.render import render_pdf
from invoices.samples import typical_invoice

PLAIN_ROW = "<tr><td>Line {n}</td><td>31 days</td><td>21 %</td><td>€ 12,50</td></tr>"
PLAIN_INVOICE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ font-family: sans-serif; font-size: 9pt; }} table {{ width: 100%; }}
</style></head><body>
<h1>Invoice INV-0001</h1><p>Acme Logistics B.V., Havenweg 1, 1011 AA Amsterdam</p>
<table>{rows}</table><p>Total due € 41,88</p></body></html>"""


def bare_render(lines: int) -> bytes:
    """The baseline: WeasyPrint on a plain HTML invoice, no template, no branding."""
    html = PLAIN_INVOICE.format(rows="".join(PLAIN_ROW.format(n=n) for n in range(lines)))
    return weasyprint.HTML(string=html).write_pdf()


def ours(lines: int) -> bytes:
    return render_pdf(typical_invoice(lines))


def rate(fn, lines: int, docs: int) -> tuple[float, float]:
    """Documents per second of `fn` in this process (one core): by wall clock and
    by CPU time; the CPU rate is the per-core cost, robust to other load."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(docs):
        fn(lines)
    return docs / (time.perf_counter() - wall), docs / (time.process_time() - cpu)


def pool_rate(workers: int, lines: int, docs: int) -> float:
    """Documents per second with `workers` processes, after each has warmed up
    (imports, fonts, templates) so start-up is not what is measured."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(ours, [lines] * workers * 2))
        start = time.perf_counter()
        list(pool.map(ours, [lines] * docs))
        return docs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40, help="documents per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=30, help="lines of the typical invoice")
    args = parser.parse_args()

    pages = len(PdfReader(io.BytesIO(ours(args.lines))).pages)
    print(f"python {platform.python_version()}, weasyprint {weasyprint.__version__}, "
          f"cpus {os.cpu_count()}; typical invoice {args.lines} lines; "
          f"{args.docs} docs per measurement, {args.rounds} rounds; pages {pages}")
    bare_render(args.lines), ours(args.lines)  # warm up fonts, templates, caches
    ratios = []
    for i in range(1, args.rounds + 1):
        bare_wall, bare_cpu = rate(bare_render, args.lines, args.docs)
        our_wall, our_cpu = rate(ours, args.lines, args.docs)
        ratios.append(our_cpu / bare_cpu)
        print(f"round {i}: bare WeasyPrint {bare_cpu:5.2f} docs/s per core "
              f"({bare_wall:5.2f} wall), render_pdf {our_cpu:5.2f} docs/s per core "
              f"({our_wall:5.2f} wall), ratio {our_cpu / bare_cpu:.2f}")
    one = pool_rate(1, args.lines, args.docs)
    two = pool_rate(2, args.lines, args.docs)
    ratio = statistics.median(ratios)
    print(f"pool: 1 process {one:6.1f} docs/s, 2 processes {two:6.1f} docs/s")
    print(f"SUMMARY render_pdf {ratio:.2f}x the bare "
          f"WeasyPrint docs/s per core (median; {1 / ratio:.2f}x its time per document), "
          f"2-process speed-up {two / one:.2f}x")


if __name__ == "__main__":
    main()
