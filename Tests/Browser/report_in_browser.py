#!/usr/bin/env python3
"""Renders a `matryoshka report` page in a real headless browser (Debian's chromium) and checks the chart.

Without --report it first makes a report from a small data set it writes itself (the fixture), using the
given matryoshka binary to fit two tiny adaptors. Checks:
  * the page holds one <polyline data-series> per method of the JSON report, and no <script>;
  * in the PNG the browser renders, the plot area (its #fafafa fill) holds drawn pixels, and pixels of every
    method's colour lie inside it (one drawn line per method).
--png keeps the screenshot (README.md's screenshot is made this way from the demo's report).

Usage: Tests/Browser/report_in_browser.py MATRYOSHKA_BINARY [--report FILE.html] [--png OUT.png]
Exit status 0 when the checks pass, 1 when one fails, 77 when no chromium is installed (skipped).
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


def read_png(path):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG into (width, height, rows of (r, g, b))."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def fixture_report(binary, work):
    """Writes a small clustered data set, fits two tiny adaptors and makes a report of four methods."""
    import random
    random.seed(3)
    folder = os.path.join(work, "fixture")
    os.makedirs(os.path.join(folder, "qrels"))

    def save(path, rows):
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), len(rows[0]))
        header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
        with open(path, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
            for row in rows:
                f.write(struct.pack("<%df" % len(row), *row))

    def vector(topic):
        return [random.gauss(0, 1) + (3 if j % 8 == topic else 0) for j in range(32)]

    corpus = [vector(i % 8) for i in range(200)]
    queries = [vector(q % 8) for q in range(40)]
    save(os.path.join(folder, "corpus.f32.npy"), corpus)
    save(os.path.join(folder, "queries.f32.npy"), queries)
    open(os.path.join(folder, "corpus_ids.txt"), "w").write("".join(f"d{i}\n" for i in range(200)))
    open(os.path.join(folder, "query_ids.txt"), "w").write("".join(f"q{i}\n" for i in range(40)))
    for split, span in [("train", range(0, 30)), ("test", range(30, 40))]:
        lines = ["query-id\tcorpus-id\tscore"] + [f"q{q}\td{q % 8 + 8 * k}\t1" for q in span for k in range(3)]
        open(os.path.join(folder, "qrels", f"{split}.tsv"), "w").write("\n".join(lines) + "\n")
    small = ["--k", "4", "--batch-size", "16", "--iterations", "30", "--validation-interval", "10", "--quiet",
             "--stage2-iterations", "30", "--query-batch-size", "8", "--document-anchors", "8"]
    unsupervised, supervised = os.path.join(work, "u.safetensors"), os.path.join(work, "s.safetensors")
    subprocess.run([binary, "fit", "--data", folder, "--out", unsupervised, *small], check=True)
    subprocess.run([binary, "fit", "--data", folder, "--supervised", "--out", supervised, *small], check=True)
    report = os.path.join(work, "report.html")
    subprocess.run([binary, "report", "--data", folder, "--quiet", "--out", report, "--dims", "4,8,16,32",
                    "--methods", f"truncate,pca,unsupervised=adaptor:{unsupervised},supervised=adaptor:{supervised}"],
                   check=True, stdout=subprocess.DEVNULL)
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--report")
    parser.add_argument("--png")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        print("browser test: skipped, no chromium installed (.ci/run installs Debian's chromium)")
        return 77
    work = tempfile.mkdtemp(prefix="matryoshka-browser-")
    report = args.report or fixture_report(os.path.abspath(args.binary), work)
    html = open(report, encoding="utf-8").read()
    methods = json.load(open(report[:-5] + ".json", encoding="utf-8"))["methods"]
    failures = []
    polylines = re.findall(r'<polyline data-series="([^"]*)"', html)
    if len(polylines) != len(methods):
        failures.append(f"{len(polylines)} polylines for {len(methods)} methods")
    if "<script" in html or re.search(r'(src|href)="https?:', html):
        failures.append("the page has a script or fetches from the network")
    png = args.png or os.path.join(work, "report.png")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,1000", f"--screenshot={os.path.abspath(png)}", "file://" + os.path.abspath(report)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    width, height, rows = read_png(png)
    # The plot area is the one large #fafafa rectangle: rows and columns holding many such pixels
    # (anti-aliased text elsewhere can produce a stray one).
    fill = (250, 250, 250)
    full_rows = [y for y in range(height) if sum(1 for c in rows[y] if c == fill) >= 100]
    full_columns = [x for x in range(width) if sum(1 for y in full_rows if rows[y][x] == fill) >= 100]
    if not full_rows or not full_columns:
        failures.append("no plot area (#fafafa) in the screenshot")
    else:
        x0, x1, y0, y1 = min(full_columns), max(full_columns), min(full_rows), max(full_rows)
        inside = [rows[y][x] for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
        drawn = sum(1 for c in inside if c not in ((250, 250, 250), (255, 255, 255)))
        print(f"plot area {x1 - x0 + 1} x {y1 - y0 + 1} px at ({x0}, {y0}); {drawn} drawn pixels inside")
        if drawn < 200:
            failures.append(f"only {drawn} drawn pixels inside the plot area")
        for i, method in enumerate(methods):
            target = tuple(int(PALETTE[i % len(PALETTE)][k:k + 2], 16) for k in (1, 3, 5))
            hits = sum(1 for c in inside if max(abs(c[k] - target[k]) for k in range(3)) <= 24)
            print(f"  {method['name']}: {hits} pixels of {PALETTE[i % len(PALETTE)]} inside the plot area")
            if hits < 30:
                failures.append(f"the line of {method['name']} is not drawn ({hits} pixels of its colour)")
    for failure in failures:
        print("FAIL " + failure)
    print(f"browser test: {'passed' if not failures else 'failed'} ({report})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
