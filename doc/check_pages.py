"""Open built documentation pages in headless Chromium and screenshot them.

Usage::

    python doc/check_pages.py doc/_build/html [--out doc/_build/screenshots]
        [--tutorial 30_fusion_dcca] [--height 6000]

Serves the built HTML on localhost, loads the tutorial gallery and one
tutorial page in headless Chromium, saves PNG screenshots and checks that
each screenshot is a real rendering (not blank) and that the pages hold what
they should (gallery thumbnails, figures of the tutorial). Exits non-zero
with a message naming the page on any failure.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_pages: no chromium executable found (apt-get install chromium)")


def screenshot(chromium: str, url: str, out: Path, size=(1280, 1600)) -> None:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={out}",
            url,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if not out.exists():
        sys.exit(f"check_pages: chromium made no screenshot of {url}:\n{proc.stderr[-2000:]}")


def check_not_blank(png: Path) -> float:
    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    std = float(img.std())
    if std < 5:
        sys.exit(f"check_pages: screenshot {png} looks blank (pixel std {std:.2f})")
    return std


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--tutorial",
        default=None,
        help="name of the tutorial page to screenshot (default: the first one)",
    )
    parser.add_argument(
        "--height", type=int, default=1600, help="height of the tutorial screenshot in pixels"
    )
    args = parser.parse_args(argv)
    html_dir = args.html_dir.resolve()
    out_dir = (args.out or html_dir.parent / "screenshots").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    gallery = html_dir / "auto_tutorials" / "index.html"
    if not gallery.exists():
        sys.exit(f"check_pages: gallery page missing: {gallery}")
    gallery_html = gallery.read_text(encoding="utf-8")
    n_thumbs = gallery_html.count("sphx-glr-thumbcontainer")
    if n_thumbs < 5:
        sys.exit(f"check_pages: gallery {gallery} lists {n_thumbs} tutorials, expected >= 5")
    tutorials = sorted(p for p in gallery.parent.glob("*.html") if p.name != "index.html")
    if not tutorials:
        sys.exit("check_pages: no tutorial pages were built")
    tutorial = tutorials[0]
    if args.tutorial:
        matches = [p for p in tutorials if p.stem.startswith(Path(args.tutorial).stem)]
        if not matches:
            sys.exit(f"check_pages: no tutorial page matches {args.tutorial!r}")
        tutorial = matches[0]
    n_figs = tutorial.read_text(encoding="utf-8").count("sphx-glr-single-img") + tutorial.read_text(
        encoding="utf-8"
    ).count("sphx-glr-multi-img")
    if n_figs < 1:
        sys.exit(f"check_pages: tutorial {tutorial.name} shows no figures")

    class _QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args, **kwargs):  # no request log on stderr
            pass

    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    chromium = find_chromium()
    try:
        rows = []
        for page, name, size in [
            (gallery, "gallery.png", (1280, 1600)),
            (tutorial, f"{tutorial.stem}.png", (1280, args.height)),
        ]:
            rel = page.relative_to(html_dir).as_posix()
            png = out_dir / name
            png.unlink(missing_ok=True)
            screenshot(chromium, f"http://127.0.0.1:{port}/{rel}", png, size=size)
            rows.append((rel, png, check_not_blank(png)))
    finally:
        server.shutdown()
    for rel, png, std in rows:
        print(f"OK {rel:55s} -> {png} (pixel std {std:.1f})")
    print(f"gallery: {n_thumbs} tutorials; {tutorial.name}: {n_figs} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
