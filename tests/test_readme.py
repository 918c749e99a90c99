"""Execute every ```python block of README.md, as a new user pasting it would.

Each block runs on its own, in a fresh Python process (a fresh namespace, nothing imported
yet) whose working directory is a temporary directory, so the `runs/`, `saved_models/` and
other files a block writes land there and not in the repository. README presents its blocks as
separate stories (the Quickstart, then "Beyond one model"), not as one session continued, so
each block must define what it uses; a block meant to build on an earlier one would have to say
so in README, and this test would have to run them together.

A block that raises fails its test, naming the README line it starts on and its first line; the
traceback points at README's own line numbers. ```bash blocks are not executed here.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# README sections that must keep a Python example (the blocks this test exists for).
SECTIONS_WITH_PYTHON = ("Quickstart", "Beyond one model")
TIMEOUT_S = 600

# Compiled with README's path and padded to the block's first line, so a traceback names
# README.md and the very line that failed.
RUNNER = """\
import sys
path, first_line, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
code = compile("\\n" * (first_line - 1) + source, path, "exec")
exec(code, {"__name__": "__main__"})
"""


@dataclass(frozen=True)
class Block:
    line: int  # README line of the block's first line of code (1-based)
    section: str  # the `## ` heading the block sits under
    source: str

    @property
    def first_line(self) -> str:
        return next((s for s in self.source.splitlines() if s.strip()), "")

    @property
    def id(self) -> str:
        return f"{self.section.lower().replace(' ', '_')}-L{self.line}"


def python_blocks(text: str) -> list[Block]:
    """The ```python fenced blocks of a Markdown text, in order."""
    blocks, section, current, start = [], "", None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if current is None:
            if line.startswith("## "):
                section = line[3:].strip()
            elif stripped == "```python":
                current, start = [], number + 1
        elif stripped.startswith("```"):
            blocks.append(Block(start, section, "\n".join(current) + "\n"))
            current = None
        else:
            current.append(line)
    assert current is None, f"a ```python block opened at line {start - 1} is never closed"
    return blocks


def run_block(block: Block, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # This tree's zoo, whatever is installed; quiet TensorFlow; no plot windows.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(README), str(block.line), block.source],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=TIMEOUT_S,
    )


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_its_python_blocks():
    sections = [block.section for block in BLOCKS]
    missing = [s for s in SECTIONS_WITH_PYTHON if s not in sections]
    assert not missing, f"README.md has no ```python block under {missing}; found {sections}"
    lines = README.read_text(encoding="utf-8").splitlines()
    for block in BLOCKS:  # the parser's line numbers are README's
        assert lines[block.line - 1] == block.source.splitlines()[0]
        assert lines[block.line - 2].strip() == "```python"


def test_a_failing_block_fails_with_its_readme_line(tmp_path):
    block = Block(line=40, section="Example", source="x = 1\n\nraise ValueError('boom')\n")
    result = run_block(block, tmp_path)
    assert result.returncode != 0
    assert f'File "{README}", line 42' in result.stdout
    assert "ValueError: boom" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_readme_block_runs(block, tmp_path):
    try:
        result = run_block(block, tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README.md block at line {block.line} ({block.section}: "
                    f"`{block.first_line}`) ran past {TIMEOUT_S} s", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"README.md block at line {block.line} ({block.section}: `{block.first_line}`) "
            f"raised (exit status {result.returncode}); the end of its output:\n"
            f"{result.stdout[-4000:]}",
            pytrace=False,
        )
