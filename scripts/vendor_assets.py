"""Copy the front-end files the pages serve from node_modules into the Python package
(web/static/vendor), so an installed wheel serves them without npm: python -m scripts.vendor_assets

Run it after changing package-lock.json; tests/test_wheel.py checks the copies match it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "web" / "static" / "vendor"

# package -> (files under node_modules/<package>, destination folder under vendor/)
FILES = {
    "govuk-frontend": ("govuk", [
        "dist/govuk/govuk-frontend.min.css", "dist/govuk/govuk-frontend.min.js",
        "dist/govuk/assets/images/govuk-crest.svg",
    ]),
    "leaflet": ("leaflet", [
        "dist/leaflet.css", "dist/leaflet.js", "dist/images/layers.png", "dist/images/layers-2x.png",
        "dist/images/marker-icon.png", "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png", "LICENSE",
    ]),
}
# GOV.UK Frontend's npm package carries its licence only in package.json ("MIT"); its
# repository's LICENSE.txt is this text.
GOVUK_LICENSE = """The MIT License (MIT)

Copyright (c) 2016 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def destination(package: str, name: str) -> Path:
    folder, _ = FILES[package]
    for prefix in ("dist/govuk/", "dist/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return VENDOR / folder / name


def versions() -> dict[str, str]:
    return {p: json.loads((NODE / p / "package.json").read_text())["version"] for p in FILES}


def main() -> None:
    for package, (_, names) in FILES.items():
        for name in names:
            target = destination(package, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE / package / name, target)
    (VENDOR / "govuk" / "LICENSE").write_text(GOVUK_LICENSE)
    (VENDOR / "VERSIONS.json").write_text(json.dumps(versions(), indent=1, sort_keys=True) + "\n")
    print(f"vendored {versions()} into {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
