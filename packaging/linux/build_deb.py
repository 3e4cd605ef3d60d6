#!/usr/bin/env python3
"""Build `dist/bgdesk_VERSION_ARCH.deb` from the frozen folder `dist/bgdesk/`.

    python3 packaging/linux/build_deb.py [--dist dist]

The package installs the app in /opt/bgdesk, the `bgdesk` command in /usr/bin, a desktop entry
and the icon. It needs dpkg-deb 1.19 or newer (Debian 10, Ubuntu 20.04) and objdump.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# What the bundle takes from the system rather than carrying: the C library, the GL/EGL
# drivers (they must match the machine's), and the X and Wayland client connections.
SYSTEM_PACKAGES = [
    "libgl1",
    "libegl1",
    "libdrm2",
    "libxcb1",
    "libwayland-client0",
    "libfontconfig1",
]


def version() -> str:
    text = (ROOT / "bgdesk" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        sys.exit("build_deb: no __version__ in bgdesk/__init__.py")
    return match.group(1)


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def glibc_needed(folder: Path) -> str:
    """The newest GLIBC_x.y symbol version any bundled binary asks for."""
    if not shutil.which("objdump"):
        sys.exit("build_deb: objdump is missing (Debian package binutils).")
    found: set[tuple[int, ...]] = set()
    for path in folder.rglob("*"):
        if not path.is_file() or not (
            path.suffix == ".so" or ".so." in path.name or path.name == "bgdesk"
        ):
            continue
        symbols = subprocess.run(
            ["objdump", "-T", str(path)], capture_output=True, text=True, check=False
        ).stdout
        found |= {
            tuple(int(p) for p in v.split("."))
            for v in re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", symbols)
        }
    return ".".join(map(str, max(found))) if found else "2.31"


def control(folder: Path, size_kib: int) -> str:
    depends = ", ".join([f"libc6 (>= {glibc_needed(folder)})", *SYSTEM_PACKAGES])
    return (
        "Package: bgdesk\n"
        f"Version: {version()}\n"
        f"Architecture: {architecture()}\n"
        "Maintainer: bgdesk <bgdesk@localhost>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {depends}\n"
        "Section: graphics\n"
        "Priority: optional\n"
        "Description: remove image backgrounds on this computer\n"
        " bgdesk cuts the subject out of photos with an on-device model: a desktop window\n"
        " with drag and drop and a before/after preview, a REST API on localhost for\n"
        " scripts, and a command line. No upload, no cloud; the default model is included.\n"
    )


def build(dist: Path) -> Path:
    frozen = dist / "bgdesk"
    if not (frozen / "bgdesk").is_file():
        sys.exit(f"build_deb: {frozen}/bgdesk is missing; build the frozen app first.")
    target = dist / f"bgdesk_{version()}_{architecture()}.deb"
    with tempfile.TemporaryDirectory(prefix="bgdesk-deb-") as scratch:
        stage = Path(scratch) / "root"
        shutil.copytree(frozen, stage / "opt" / "bgdesk", symlinks=True)
        (stage / "usr" / "bin").mkdir(parents=True)
        # Relative, so the command also works in a package unpacked under another root.
        (stage / "usr" / "bin" / "bgdesk").symlink_to("../../opt/bgdesk/bgdesk")
        applications = stage / "usr" / "share" / "applications"
        applications.mkdir(parents=True)
        shutil.copy(HERE / "bgdesk.desktop", applications / "bgdesk.desktop")
        icons = stage / "usr" / "share" / "icons" / "hicolor"
        for folder, source in (
            ("scalable", ROOT / "resources" / "bgdesk.svg"),
            ("256x256", HERE / "bgdesk-256.png"),
        ):
            (icons / folder / "apps").mkdir(parents=True)
            shutil.copy(source, icons / folder / "apps" / f"bgdesk{source.suffix}")
        size_kib = sum(p.lstat().st_size for p in stage.rglob("*") if not p.is_dir()) // 1024
        (stage / "DEBIAN").mkdir()
        (stage / "DEBIAN" / "control").write_text(control(frozen, size_kib))
        for path in stage.rglob("*"):  # what dpkg-deb accepts: no group/world write bits
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & 0o755)
        command = ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(target)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    package = build(args.dist.resolve())
    print(f"Built {package} ({package.stat().st_size / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
