"""The README names only files that exist: paths in its prose and links, the files of its folder table, and
the modules it runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKED = ("jazz/", "docs/", "models/", "data/", "tests/")


def prose(text: str) -> str:
    """The README without its fenced code blocks (their paths are examples a reader makes: models/mine ...)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def named_paths(text: str) -> set[str]:
    """Paths in inline code and in link targets that start with one of the project's folders."""
    spans = re.findall(r"`([^`\n]+)`", text) + re.findall(r"\]\(([^)\s]+)\)", text)
    return {word.rstrip(".,;:") for span in spans for word in span.split() if word.startswith(CHECKED)}


def table_files(text: str) -> set[str]:
    """The files of each row of the folder table: "| `jazz/midi/` | `read.py` ... |" names jazz/midi/read.py."""
    found = set()
    for folder, rest in re.findall(r"^\| `(jazz/[a-z_]+/)` \|(.*)$", text, flags=re.M):
        found |= {folder + name for name in re.findall(r"`([a-z_]+\.py)`", rest)}
    return found


def modules(text: str) -> set[str]:
    """Modules the README runs or names: python -m jazz.lessons.names, jazz.model.sample ..."""
    return set(re.findall(r"\bjazz(?:\.[a-z_]+)+", text))


def module_file(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_every_path_the_readme_names_exists():
    paths = named_paths(prose(README)) | table_files(README)
    assert len(paths) > 20  # the parsing finds the folder table and the links
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == [], f"README.md names paths that do not exist: {missing}"


def test_every_module_the_readme_names_exists():
    missing = sorted(m for m in modules(README) if not module_file(m).exists())
    assert missing == [], f"README.md names modules that do not exist: {missing}"


def test_the_checker_sees_a_moved_file():
    text = "The cells are in `jazz/cells.py`; see [the notes](docs/lessons.md).\n```\njazz train x --out models/mine\n```"
    assert named_paths(prose(text)) == {"jazz/cells.py", "docs/lessons.md"}
    assert not (ROOT / "jazz/cells.py").exists()


def test_the_readmes_example_model_folders_are_ignored_by_git():
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    examples = sorted(set(re.findall(r"--out (models/[a-z_-]+)", README)))
    assert "models/mine" in examples
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *examples, "models/default/model.keras"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert ignored == examples  # every example, and not the bundled model
