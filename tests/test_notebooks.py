"""Execute every tutorial notebook in `notebooks/` top to bottom.

A cell that raises fails the test with nbclient's `CellExecutionError`, which carries the
cell's source and traceback. Notebooks are kept without outputs; they are executed in a
temporary directory so that running them leaves nothing in the repository.
"""

from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "python3"


@pytest.fixture(scope="session")
def kernel_installed():
    """Fail (not skip) when the kernel the notebooks name is missing: a skipped notebook test
    would hide a broken tutorial."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        pytest.fail(
            f"Jupyter kernel {KERNEL!r} is not installed, so the notebooks cannot run. "
            "Install it with `python -m ipykernel install --user --name python3` "
            "(ipykernel comes with `pip install -e .[dev]`); `jupyter kernelspec list` "
            "shows the installed kernels.",
            pytrace=False,
        )


def test_notebooks_found():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOKS_DIR}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, kernel_installed):
    nb = nbformat.read(path, as_version=4)
    assert any(cell.cell_type == "markdown" for cell in nb.cells), \
        f"{path.name} has no markdown cell: a tutorial explains what it runs"

    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError with the failing cell's message

    outputs = [output for cell in nb.cells if cell.cell_type == "code"
               for output in cell.get("outputs", [])]
    errors = [output for output in outputs if output.output_type == "error"]
    assert not errors, f"{path.name} produced errors: " + "; ".join(
        f"{e.ename}: {e.evalue}" for e in errors)
    assert any("image/png" in output.get("data", {}) for output in outputs), \
        f"{path.name} shows no plot (no output with image/png)"
