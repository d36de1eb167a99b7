"""Bad input: one-line `error:` on stderr, non-zero exit, no traceback (unless --debug), no
output file, and no training; the Python API raises `fkdrift.FkdriftError` for the same."""

from __future__ import annotations

import pickle
import subprocess
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift
import potentials
from fkdrift import Config, FkdriftError, System
from fkdrift import _solver as solver_module
from fkdrift._cli import main
from fkdrift._memory import check_memory, estimate_memory
from fkdrift._user_potential import load_potential

FAST = Config(train_steps=30, batch=64, window=10, eval_walkers=128, eval_time=1.0,
              burn_in_time=0.5)
FAST_SET = [arg for key in ("train_steps", "batch", "window", "eval_walkers", "eval_time",
                            "burn_in_time")
            for arg in ("--set", f"{key}={getattr(FAST, key)}")]


# Potentials a user might get wrong; written to pots.py for the CLI, exec'd for the API.
BAD_POTENTIALS = '''\
import jax.numpy as jnp
import numpy as np


def good(r):
    return 0.5 * jnp.sum(r ** 2)


def returns_r(r):
    return r


def returns_row(r):
    return jnp.sum(r ** 2, axis=-1)


def returns_nothing(r):
    jnp.sum(r ** 2)


def log_negative(r):
    return jnp.log(-1.0) + jnp.sum(r ** 2)


def divide_by_zero(r):
    return jnp.sum(r ** 2) + 1 / 0


def divide_by_float_zero(r):
    return jnp.sum(r ** 2) / 0.0


def sqrt_coordinate(r):
    return jnp.sqrt(r[0, 0]) + jnp.sum(r ** 2)


def python_float(r):
    return float(r[0, 0]) ** 2


def numpy_conversion(r):
    return np.sum(np.asarray(r) ** 2)


def python_if(r):
    if r[0, 0] > 0:
        return jnp.sum(r ** 2)
    return 2 * jnp.sum(r ** 2)


def raises(r):
    raise ValueError("my potential is broken")


def complex_valued(r):
    return jnp.sum(r ** 2) + 0.5j


def with_keyword(r, k=1.0):
    return k * jnp.sum(r ** 2)


NOT_A_FUNCTION = 3.0
'''

# name -> fragment expected in the error message
BAD_POTENTIAL_MESSAGES = {
    "returns_r": "scalar",
    "returns_row": "scalar",
    "returns_nothing": "scalar",
    "log_negative": "not finite",
    "divide_by_zero": "raised ZeroDivisionError",
    "divide_by_float_zero": "not finite",
    "sqrt_coordinate": "not finite",
    "python_float": "JAX-traceable",
    "numpy_conversion": "JAX-traceable",
    "python_if": "JAX-traceable",
    "raises": "raised ValueError: my potential is broken",
    "complex_valued": "must return a real number",
}


@pytest.fixture
def pots(tmp_path) -> Path:
    path = tmp_path / "pots.py"
    path.write_text(BAD_POTENTIALS)
    return path


@pytest.fixture
def no_training(monkeypatch):
    """Fail loudly (and record it) if a run gets as far as training."""
    calls = []

    def train(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("training started")

    monkeypatch.setattr(solver_module, "train", train)
    yield calls
    assert not calls, "bad input was not caught before training"


def api_potential(name: str):
    namespace: dict = {}
    exec(BAD_POTENTIALS, namespace)  # noqa: S102 - the test's own source
    return namespace[name]


def run_in_process(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def assert_one_line_error(code, out: str, err: str, fragment: str | None = None) -> None:
    assert code not in (0, None), f"exit code {code}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("error:"), lines[0]
    assert "Traceback" not in out + err
    if fragment is not None:
        assert fragment in lines[0], lines[0]


def assert_no_output(out_dir: Path) -> None:
    """Nothing left behind: not a file, not even the (new) output folder."""
    assert not out_dir.exists(), f"left behind: {out_dir} {list(out_dir.rglob('*'))}"


# --------------------------------------------------------------------------- CLI, in process


def write_input_files(tmp: Path) -> None:
    """The broken files the CLI cases refer to (pots.py comes from the `pots` fixture)."""
    (tmp / "syntax.py").write_text("def V(r):\n    return r **\n")
    (tmp / "imports.py").write_text(
        "import not_a_module_fkdrift_test\n\n\ndef V(r):\n    return 0.0\n")
    (tmp / "file.txt").write_text("not a folder")


def cli_cases(tmp: Path, pots: Path) -> dict[str, tuple[list[str], str | None]]:
    syntax, missing_import, blocker = tmp / "syntax.py", tmp / "imports.py", tmp / "file.txt"
    cases: dict[str, tuple[list[str], str | None]] = {
        "unknown_name": (["--potential", "no_such_system"], "harmonic, helium, hydrogen"),
        "missing_file": (["--potential", f"{tmp / 'missing.py'}:V"], "does not exist"),
        "syntax_error": (["--potential", f"{syntax}:V"], "SyntaxError"),
        "import_error": (["--potential", f"{missing_import}:V"], "not_a_module_fkdrift_test"),
        "no_such_function": (["--potential", f"{pots}:nope"], "no function 'nope'"),
        "not_a_function": (["--potential", f"{pots}:NOT_A_FUNCTION"], "NOT_A_FUNCTION"),
        "py_without_function": (["--potential", str(pots)], "file.py:function"),
        "set_dt_zero": (["--potential", "harmonic", "--set", "dt=0"], "dt"),
        "set_dt_negative": (["--potential", "harmonic", "--set", "dt=-0.01"], "dt"),
        "set_batch_zero": (["--potential", "harmonic", "--set", "batch=0"], "batch"),
        "set_batch_negative": (["--potential", "harmonic", "--set", "batch=-64"], "batch"),
        "set_batch_float": (["--potential", "harmonic", "--set", "batch=1.5"], "batch"),
        "set_batch_one": (["--potential", "harmonic", "--set", "batch=1"],
                          "1 independent replica(s); the variational dt -> 0 fit over 4 "
                          "time steps needs at least 6"),
        "set_steps_zero": (["--potential", "harmonic", "--set", "train_steps=0"],
                           "train_steps"),
        "set_steps_negative": (["--potential", "harmonic", "--set", "train_steps=-5"],
                               "train_steps"),
        "set_steps_text": (["--potential", "harmonic", "--set", "train_steps=many"],
                           "train_steps"),
        "set_unknown_field": (["--potential", "harmonic", "--set", "trainsteps=5"],
                              "trainsteps; did you mean 'train_steps'?"),
        "set_without_value": (["--potential", "harmonic", "--set", "batch"],
                              "--set needs KEY=VALUE"),
        "set_eval_dts": (["--potential", "harmonic", "--set", "eval_dts=(0.015,0.01)"],
                         "eval_dts"),
        "target_error_negative": (["--potential", "harmonic", "--target-error", "-1"],
                                  "--target-error"),
        "time_budget_negative": (["--potential", "harmonic", "--time-budget", "-1"],
                                 "--time-budget"),
        "option_unknown": (["--potential", "harmonic", "-o", "colour=red"], "colour"),
        "option_misspelt": (["--potential", "harmonic", "-o", "omgea=2"],
                            "did you mean 'omega'?"),
        "option_bad_value": (["--potential", "harmonic", "-o", "omega=-1"], None),
        "option_user_unknown": (["--potential", f"{pots}:good", "-o", "colour=red"], None),
        "dim_zero": (["--potential", "harmonic", "--dim", "0"], "dim"),
        "dim_negative": (["--potential", "harmonic", "--dim", "-1"], None),
        "particles_negative": (["--potential", f"{pots}:good", "--particles", "-2"],
                               "particles"),
        "seed_negative": (["--potential", "harmonic", "--seed", "-1"], "seed"),
        "seed_2_to_the_63": (["--potential", "harmonic", "--seed", str(2**63)],
                             "--seed must be an integer from 0 to 2**63 - 1"),
        "seed_2_to_the_64": (["--potential", "harmonic", "--seed", str(2**64)], "--seed"),
        "option_builtin_text": (["--potential", "harmonic", "-o", "omega=abc"],
                                "option omega='abc'"),
        "option_user_text": (["--potential", f"{pots}:with_keyword", "-o", "k=abc"],
                             "option k='abc'"),
        "option_user_unusable": (["--potential", f"{pots}:with_keyword", "--dim", "2",
                                  "-o", "k=[1,2,3]"], "option k=[1, 2, 3] does not work"),
        "dim_conflicts_option": (["--potential", "harmonic", "--dim", "2", "-o", "dim=3"],
                                 "--dim 2 conflicts with dim=3 given by -o"),
        "particles_conflicts_option": (["--potential", "harmonic", "--particles", "3",
                                        "-o", "particles=2"],
                                       "--particles 3 conflicts with particles=2 given by -o"),
        "target_error_conflicts_set": (["--potential", "harmonic", "--target-error", "1e-2",
                                        "--set", "target_error=1e-3"],
                                       "--target-error 0.01 conflicts with target_error=0.001"),
        "time_budget_conflicts_set": (["--potential", "harmonic", "--time-budget", "60",
                                       "--set", "time_budget=30"],
                                      "--time-budget 60.0 conflicts with time_budget=30"),
        "time_budget_zero": (["--potential", "harmonic", "--time-budget", "0"],
                             "--time-budget must be a finite positive number"),
        "target_error_zero": (["--potential", "harmonic", "--target-error", "0"],
                              "--target-error must be a finite positive number"),
        "target_error_inf": (["--potential", "harmonic", "--target-error", "inf"],
                             "--target-error must be a finite positive number"),
        "target_error_nan": (["--potential", "harmonic", "--target-error", "nan"],
                             "--target-error must be a finite positive number"),
        "out_file_as_folder": (["--potential", "harmonic", "--out", str(blocker / "x.h5")],
                               "is a file, not a folder"),
        "out_is_directory": (["--potential", "harmonic", "--out", str(tmp)], "directory"),
    }
    for name, fragment in BAD_POTENTIAL_MESSAGES.items():
        cases[f"potential_{name}"] = (["--potential", f"{pots}:{name}", "--dim", "2"], fragment)
    return cases


CLI_CASE_NAMES = sorted(cli_cases(Path("/nonexistent"), Path("/nonexistent/pots.py")))


@pytest.mark.parametrize("case", CLI_CASE_NAMES)
def test_cli_bad_input_one_line_error(case, tmp_path, pots, capsys, no_training):
    write_input_files(tmp_path)
    args, fragment = cli_cases(tmp_path, pots)[case]
    out_dir = tmp_path / "out"
    if "--out" not in args:
        args = [*args, "--out", str(out_dir / "x.h5")]
    code, out, err = run_in_process(["solve", *FAST_SET, *args], capsys)  # case's --set wins
    assert_one_line_error(code, out, err, fragment)
    assert_no_output(out_dir)
    assert not list(tmp_path.glob("*.h5")) and not list(tmp_path.rglob("*.tmp"))


def test_cli_fkdrift_errors_exit_2(tmp_path, capsys):
    code, _, err = run_in_process(["solve", "--potential", "nope",
                                   "--out", str(tmp_path / "x.h5")], capsys)
    assert code == 2 and err.startswith("error: unknown potential 'nope'")


def test_cli_debug_raises_the_exception(tmp_path, pots):
    with pytest.raises(FkdriftError, match="scalar"):
        main(["--debug", "solve", "--potential", f"{pots}:returns_r", "--dim", "2",
              "--out", str(tmp_path / "x.h5"), *FAST_SET])
    assert not (tmp_path / "x.h5").exists()


def test_cli_show_bad_files(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    for target, fragment in [(tmp_path / "none.h5", "no result file"),
                             (text, "cannot read"), (tmp_path, None)]:
        code, out, err = run_in_process(["show", str(target)], capsys)
        assert_one_line_error(code, out, err, fragment)


RUN_FILE_CONFLICTS = {
    "dim_flag_vs_options_table": ("[options]\ndim = 3\n", ["--dim", "2"],
                                  "--dim 2 conflicts with dim=3 given by [options]"),
    "particles_flag_vs_options_table": ("[options]\nparticles = 2\n", ["--particles", "3"],
                                        "--particles 3 conflicts with particles=2"),
    "dim_key_vs_option_flag": ("dim = 2\n", ["-o", "dim=3"],
                               "dim = 2 in --config"),
    "target_error_flag_vs_settings_table": (
        "[settings]\ntarget_error = 1e-3\n", ["--target-error", "1e-2"],
        "--target-error 0.01 conflicts with target_error=0.001 given by [settings]"),
    "time_budget_flag_vs_settings_table": (
        "[settings]\ntime_budget = 30.0\n", ["--time-budget", "60"],
        "--time-budget 60.0 conflicts with time_budget=30.0 given by [settings]"),
}


@pytest.mark.parametrize("case", sorted(RUN_FILE_CONFLICTS))
def test_cli_flag_conflicting_with_run_file(case, tmp_path, capsys, no_training):
    table, flags, fragment = RUN_FILE_CONFLICTS[case]
    run = tmp_path / "run.toml"
    run.write_text('potential = "harmonic"\n' + table)
    code, out, err = run_in_process(["solve", *FAST_SET, "--config", str(run), *flags,
                                     "--out", str(tmp_path / "out" / "x.h5")], capsys)
    assert_one_line_error(code, out, err, fragment)
    assert_no_output(tmp_path / "out")


def test_cli_run_file_seed_out_of_range(tmp_path, capsys, no_training):
    run = tmp_path / "run.toml"
    run.write_text(f'potential = "harmonic"\nseed = {2**63}\n')
    code, out, err = run_in_process(["solve", "--config", str(run),
                                     "--out", str(tmp_path / "x.h5")], capsys)
    assert_one_line_error(code, out, err, "seed in --config")


def checkpoint_impostors(folder: Path) -> dict[str, bytes]:
    """Files that are no fkdrift checkpoint, as bytes, by what they are."""
    np.savez(folder / "real.npz", meta=np.asarray('{"format": "fkdrift-checkpoint"}'),
             leaf_0000=np.arange(1000.0))
    np.savez(folder / "foreign.npz", weights=np.arange(3.0))
    np.savez(folder / "objects.npz", meta=np.asarray([{"a": 1}], dtype=object))
    np.savez(folder / "other_format.npz", meta=np.asarray('{"format": "something"}'))
    np.save(folder / "single.npy", np.arange(3.0))
    real = (folder / "real.npz").read_bytes()
    return {"truncated": real[: len(real) // 2], "empty": b"", "text": b"hello\n",
            "pickle": pickle.dumps({"leaf_0000": [1.0]}),
            "foreign_npz": (folder / "foreign.npz").read_bytes(),
            "object_arrays": (folder / "objects.npz").read_bytes(),
            "other_format": (folder / "other_format.npz").read_bytes(),
            "npy_array": (folder / "single.npy").read_bytes()}


@pytest.mark.parametrize("kind", ["truncated", "empty", "text", "pickle", "foreign_npz",
                                  "object_arrays", "other_format", "npy_array"])
def test_cli_resume_of_a_file_that_is_no_checkpoint(kind, tmp_path, capsys, no_training):
    """One line naming the checkpoint; it is kept as it was (and nothing else appears)."""
    content = checkpoint_impostors(tmp_path)[kind]
    (tmp_path / "run").mkdir()
    ckpt = tmp_path / "run" / "x.ckpt"
    ckpt.write_bytes(content)
    code, out, err = run_in_process(["resume", str(tmp_path / "run" / "x.h5")], capsys)
    assert_one_line_error(code, out, err, f"cannot read checkpoint {ckpt}: not a fkdrift "
                                          "checkpoint (")
    assert "allow_pickle" not in err
    assert ckpt.read_bytes() == content
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["x.ckpt"]


RESULT = Path(__file__).resolve().parent.parent / "results" / "bosons_N2_g3.h5"


def test_cli_show_reports_bad_files_and_shows_the_rest(tmp_path, capsys):
    for name in ("a.h5", "c.h5"):
        (tmp_path / name).write_bytes(RESULT.read_bytes())
    (tmp_path / "bad.h5").write_text("not a result")
    paths = [str(tmp_path / n) for n in ("a.h5", "bad.h5", "missing.h5", "c.h5")]
    code, out, err = run_in_process(["show", *paths], capsys)
    assert code == 2
    assert paths[0] in out and paths[3] in out and "trapped_bosons_N2_g3" in out
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines), err
    assert paths[1] in lines[0] and paths[2] in lines[1]
    assert "Traceback" not in out + err


@pytest.fixture
def quick_plots(monkeypatch):
    """plot_result writing empty PNGs where the real one would (no matplotlib work)."""
    from fkdrift import _plots

    def plot_result(result, stem):
        paths = _plots.figure_paths(stem)
        for path in paths:
            path.write_bytes(b"png")
        return paths

    monkeypatch.setattr(_plots, "plot_result", plot_result)


@pytest.mark.parametrize("out", ["new_folder/", "existing_folder"])
def test_cli_plot_into_a_folder(out, tmp_path, capsys, quick_plots):
    (tmp_path / "existing_folder").mkdir()
    result = tmp_path / "run.h5"
    result.write_bytes(RESULT.read_bytes())
    folder = tmp_path / out.rstrip("/")
    main(["plot", str(result), "--out", f"{tmp_path}/{out}"])
    assert sorted(p.name for p in folder.iterdir()) == [
        "run_density.png", "run_extrapolation.png", "run_report.png", "run_training.png"]
    assert not list(tmp_path.glob("*.png"))


def test_cli_plot_refuses_to_overwrite_without_force(tmp_path, capsys, quick_plots):
    result = tmp_path / "run.h5"
    result.write_bytes(RESULT.read_bytes())
    (tmp_path / "run_training.png").write_bytes(b"mine")
    code, out, err = run_in_process(["plot", str(result)], capsys)
    assert_one_line_error(code, out, err, "run_training.png exists")
    assert "--force" in err
    assert (tmp_path / "run_training.png").read_bytes() == b"mine"
    assert not (tmp_path / "run_report.png").exists()
    main(["plot", str(result), "--force"])
    assert (tmp_path / "run_training.png").read_bytes() == b"png"


@pytest.mark.parametrize("option", ["--particles", "--dim"])
def test_cli_user_potential_zero_shape_rejected(option, tmp_path, pots, capsys, no_training):
    code, out, err = run_in_process(
        ["solve", *FAST_SET, "--potential", f"{pots}:good", option, "0",
         "--out", str(tmp_path / "x.h5")], capsys)
    no_training.clear()  # while the bug lasts the run trains; the assertion below reports it
    assert_one_line_error(code, out, err, option.lstrip("-"))


@pytest.mark.parametrize("args", [["solve"], ["solve", "--potential", "harmonic", "--dim", "x"],
                                  ["solve", "--potential", "harmonic", "--bogus"]], ids=str)
def test_cli_usage_errors_one_line(args, capsys):
    code, out, err = run_in_process(args, capsys)
    assert_one_line_error(code, out, err)


# --------------------------------------------------------------------------- CLI, subprocess


def fkdrift_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*FKDRIFT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, encoding="utf-8")


@pytest.mark.parametrize(
    "case",
    ["unknown_name", "potential_returns_r", "set_batch_zero", "out_file_as_folder"],
)
def test_cli_bad_input_real_process(case, tmp_path, pots):
    write_input_files(tmp_path)
    args, fragment = cli_cases(tmp_path, pots)[case]
    if "--out" not in args:
        args = [*args, "--out", "out/x.h5"]
    proc = fkdrift_cli("solve", *FAST_SET, *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, fragment)
    assert proc.stdout == ""
    assert_no_output(tmp_path / "out")
    assert not list(tmp_path.glob("*.h5"))


def test_cli_debug_shows_traceback(tmp_path):
    proc = fkdrift_cli("--debug", "solve", "--potential", "no_such_system",
                       "--out", "x.h5", cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "FkdriftError" in proc.stderr
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("target", ["file_as_folder", "directory"])
def test_cli_unwritable_output_fails_before_training(tmp_path, target):
    """10⁸ training updates (days of work): only a path check before training returns
    (a check after training would hit the subprocess timeout and fail the test)."""
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "adir").mkdir()
    out = "file.txt/x.h5" if target == "file_as_folder" else "adir"
    proc = fkdrift_cli("solve", "--potential", "harmonic", "--set", "train_steps=100000000",
                       "--out", out, cwd=tmp_path, timeout=180)
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert (tmp_path / "file.txt").read_text() == "x"
    assert list((tmp_path / "adir").iterdir()) == []
    assert not list(tmp_path.rglob("*.h5")) and not list(tmp_path.rglob("*.tmp"))
    assert not (tmp_path / "results").exists()


# --------------------------------------------------------------------------- Python API


@pytest.mark.parametrize("name", sorted(BAD_POTENTIAL_MESSAGES))
def test_api_bad_potential_raises_before_training(name, no_training):
    system = System(potential=api_potential(name), particles=1, dim=2, name=f"bad_{name}")
    with pytest.raises(FkdriftError, match=BAD_POTENTIAL_MESSAGES[name]) as exc:
        fkdrift.solve(system, seed=0, config=FAST)
    assert "\n" not in str(exc.value)
    assert f"bad_{name}" in str(exc.value)


def test_api_good_potential_passes_the_check():
    system = System(potential=api_potential("good"), particles=2, dim=2)
    system.check_potential(jnp.asarray(np.random.default_rng(0).normal(size=(8, 2, 2))))


def test_api_unknown_builtin_name():
    with pytest.raises(FkdriftError, match="unknown potential 'nope'.*harmonic.*hydrogen"):
        fkdrift.solve("nope", config=FAST)


@pytest.mark.parametrize("system", [None, 3, object()], ids=["None", "int", "object"])
def test_api_solve_needs_a_system(system):
    with pytest.raises(FkdriftError, match="System"):
        fkdrift.solve(system, config=FAST)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, 2**63, 2**64], ids=str)
def test_api_bad_seed(seed, no_training):
    with pytest.raises(FkdriftError, match="seed"):
        fkdrift.solve("harmonic", seed=seed, config=FAST)


@pytest.mark.parametrize(
    ("field", "value"),
    [("dt", 0.0), ("dt", -0.01), ("batch", 0), ("batch", -8), ("train_steps", 0),
     ("train_steps", -30)],
)
def test_api_bad_config(field, value):
    with pytest.raises(FkdriftError, match=field):
        Config(**{field: value})
    with pytest.raises(FkdriftError, match=field):
        FAST.replace(**{field: value})


@pytest.mark.parametrize(
    "kwargs",
    [{"dim": 0}, {"dim": -2}, {"dim": 1.5}, {"particles": 0}, {"particles": True},
     {"statistics": "fermions", "spins": (2, 0)}, {"statistics": "anyons"},
     {"potential": "V"},
     {"dim": 2, "nuclei": [[0.0, 0.0, 0.0]], "nuclear_charges": [1.0]},
     {"dim": 1, "particle_charge": -1.0}],
    ids=str,
)
def test_api_bad_system(kwargs):
    kwargs = {"potential": api_potential("good"), **kwargs}
    with pytest.raises(FkdriftError):
        System(**kwargs)


def test_api_load_potential_file_errors(tmp_path, pots):
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def V(r)\n    return 0\n")
    with pytest.raises(FkdriftError, match="does not exist"):
        load_potential(f"{tmp_path / 'missing.py'}:V")
    with pytest.raises(FkdriftError, match="cannot import.*SyntaxError"):
        load_potential(f"{syntax}:V")
    with pytest.raises(FkdriftError, match="no function 'nope'"):
        load_potential(f"{pots}:nope")
    with pytest.raises(FkdriftError):
        load_potential(str(pots))
    assert load_potential(f"{pots}:good")(jnp.ones((1, 2))) == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs", [{"colour": "red"}, {"dim": 0}, {"omega": -1.0}], ids=str)
def test_api_bad_builtin_options(kwargs):
    with pytest.raises(FkdriftError):
        potentials.get("harmonic", **kwargs)


@pytest.mark.parametrize("kwargs", [{"dim": -1}, {"omega": "abc"}], ids=str)
def test_api_bad_builtin_option_values(kwargs):
    with pytest.raises(FkdriftError):
        potentials.get("harmonic", **kwargs)


# --------------------------------------------------------------------------- memory

TOO_BIG = {"dim_100000": ["--potential", "harmonic", "--dim", "100000"],
           "eval_walkers_1e12": ["--potential", "harmonic", "--set",
                                 "eval_walkers=1000000000000"]}


@pytest.mark.parametrize("case", sorted(TOO_BIG))
def test_cli_run_that_cannot_fit_is_refused_before_training(case, tmp_path):
    """--dim 100000 trained for 8 minutes and was killed by the system; eval_walkers=10¹²
    trained first and died with RESOURCE_EXHAUSTED. Now one line naming the estimate and
    the limit, in seconds, before anything is written."""
    start = time.perf_counter()
    proc = fkdrift_cli("solve", *TOO_BIG[case], cwd=tmp_path, timeout=120)
    assert time.perf_counter() - start < 60
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, "this run needs about")
    assert proc.returncode == 2
    assert "GiB available" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no results/, no .train.jsonl, no checkpoint


def test_api_run_that_cannot_fit_is_refused_before_training(no_training):
    with pytest.raises(FkdriftError, match="this run needs about .* available"):
        fkdrift.solve("harmonic", config=FAST.replace(eval_walkers=10**12))


def test_memory_estimate_grows_linearly_with_eval_walkers():
    system = potentials.harmonic(dim=3)
    sizes = [estimate_memory(system, Config(eval_walkers=w).for_system(system))
             for w in (10**6, 2 * 10**6, 3 * 10**6, 10**7)]
    step = sizes[1] - sizes[0]
    assert step > 0
    assert sizes[2] - sizes[1] == pytest.approx(step, rel=1e-9)
    assert sizes[3] - sizes[0] == pytest.approx(9 * step, rel=1e-9)
    with pytest.raises(FkdriftError, match=r"needs about .*eval_walkers=10000000 .* than the "
                                           r"1 GiB available"):
        check_memory(system, Config(eval_walkers=10**7).for_system(system), available=2**30)


@pytest.mark.parametrize("name", fkdrift.registry.names())
def test_memory_estimate_of_builtin_defaults_is_far_under_a_laptop(name):
    """Every built-in system with its default options and settings: well under 1 GiB
    (64 MiB at most; a laptop has 8 GiB), so no default run is ever refused."""
    system = fkdrift.registry.build(name)
    assert estimate_memory(system, Config().for_system(system)) < 64 * 2**20
    check_memory(system, Config().for_system(system), available=2**30)  # no error
