"""Command line end to end (subprocess): `fkdrift solve`, `list`, `show`, user potentials."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jax.numpy as jnp
import pytest
from conftest import FKDRIFT

import fkdrift
import potentials

FAST_SETTINGS = {"train_steps": 30, "batch": 64, "window": 10, "eval_walkers": 128,
                 "eval_time": 1.0, "burn_in_time": 0.5}
SET_ARGS = [arg for key, value in FAST_SETTINGS.items() for arg in ("--set", f"{key}={value}")]


USER_POTENTIAL = '''\
import jax.numpy as jnp


def V(r):
    """Isotropic 2D oscillator written by a user: E0 = 1."""
    return 0.5 * jnp.sum(r ** 2)
'''


def fkdrift_cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*FKDRIFT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, encoding="utf-8")


@pytest.fixture(scope="module")
def harmonic_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cli_harmonic")
    proc = fkdrift_cli("solve", "--potential", "harmonic", "--out", "tmp/x.h5", "--seed", "0",
                       *SET_ARGS, cwd=cwd)
    return proc, cwd / "tmp" / "x.h5"


@pytest.fixture(scope="module")
def user_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cli_user")
    (cwd / "wells.py").write_text(USER_POTENTIAL)
    proc = fkdrift_cli("solve", "--potential", "wells.py:V", "--dim", "2", "--seed", "3",
                       "-o", "exact_energy=1.0", "--out", "user.h5", *SET_ARGS, cwd=cwd)
    return proc, cwd / "user.h5", cwd


def test_solve_exits_zero(harmonic_run):
    proc, _ = harmonic_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not any(line.startswith("error:") for line in proc.stderr.splitlines())


def test_solve_prints_summary(harmonic_run):
    proc, path = harmonic_run
    out = proc.stdout
    assert "harmonic: E0 =" in out
    assert "±" in out
    assert "exact 0.500000" in out
    assert "σ" in out
    assert "per dt:" in out
    assert str(Path("tmp") / "x.h5") in out  # "wrote PATH"


def test_solve_writes_loadable_file(harmonic_run):
    proc, path = harmonic_run
    assert path.is_file()
    assert not list(path.parent.glob("*.tmp"))
    result = fkdrift.load(path)
    assert result.system.name == "harmonic" and result.exact_energy == 0.5
    for key, value in FAST_SETTINGS.items():
        assert getattr(result.config, key) == value, key
    assert result.info["seed"] == 0
    assert f"E0 = {result.energy:.6f}" in proc.stdout


def test_list_shows_builtins(tmp_path):
    proc = fkdrift_cli("list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    lines = {line.split()[0]: line for line in rows if line.strip() and line[0] != " "}
    assert "harmonic" in lines and "hydrogen" in lines
    assert "E0 = 0.5" in lines["harmonic"]
    assert "E0 = -0.5" in lines["hydrogen"]
    assert set(lines) == set(potentials.names())
    options = {name: rows[rows.index(line) + 1] for name, line in lines.items()}
    assert "options (-o KEY=VALUE): R=1.4011" in options["h2"]
    assert "g=3.0, s=0.5" in options["trapped_bosons"]


def test_show_prints_summary(harmonic_run, tmp_path):
    proc, path = harmonic_run
    shown = fkdrift_cli("show", str(path), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    summary = fkdrift.load(path).summary()
    assert summary in shown.stdout
    assert "E0 =" in shown.stdout and "exact" in shown.stdout and "σ" in shown.stdout
    assert "config:" in shown.stdout and "'train_steps': 30" in shown.stdout


def test_user_potential_file_solves(user_run):
    proc, path, _ = user_run
    assert proc.returncode == 0, proc.stderr
    assert "wells_V: E0 =" in proc.stdout
    assert "exact 1.000000" in proc.stdout and "σ" in proc.stdout
    assert path.is_file()


def test_user_potential_result_records_source(user_run):
    _, path, cwd = user_run
    result = fkdrift.load(path)
    assert result.system.name == "wells_V"
    assert result.system.shape == (1, 2)
    assert result.samples.shape[1:] == (1, 2)
    assert result.exact_energy == 1.0
    source = result.system.source["file"]
    assert source.endswith("wells.py:V")
    assert Path(source.rpartition(":")[0]).resolve() == (cwd / "wells.py").resolve()
    assert float(result.system.potential(jnp.array([[1.0, 1.0]]))) == pytest.approx(1.0)


def test_show_user_result_even_without_the_file(user_run, tmp_path):
    _, path, cwd = user_run
    moved = tmp_path / "elsewhere.py"
    shutil.move(cwd / "wells.py", moved)
    try:
        shown = fkdrift_cli("show", str(path), cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "wells_V: E0 =" in shown.stdout
        result = fkdrift.load(path)
        assert result.drift(jnp.zeros((1, 2))).shape == (1, 2)
    finally:
        shutil.move(moved, cwd / "wells.py")


def test_show_missing_file_is_one_line_error(tmp_path):
    proc = fkdrift_cli("show", "nothing.h5", cwd=tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("error:") and "nothing.h5" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_progress_lines_when_stderr_is_not_a_terminal(harmonic_run):
    """A batch job's log (stderr redirected) gets plain progress lines of every stage."""
    proc, _ = harmonic_run
    lines = proc.stderr.splitlines()
    assert any(line.startswith("training 1/30 loss=") for line in lines)
    assert any(line.startswith("training 30/30 ") and "lr=" in line and "ETA" in line
               for line in lines)
    assert any(line.startswith("variational ") for line in lines)
    assert any(line.startswith("reweighted ") for line in lines)


def test_training_log_is_written_beside_the_result(harmonic_run):
    import json

    _, path = harmonic_run
    rows = [json.loads(line) for line in path.with_suffix(".train.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == list(range(1, 31))
    history = fkdrift.load(path).history
    assert [row["loss"] for row in rows] == list(history["loss"])


@pytest.mark.slow  # long: CI runs it with the slow set
def test_default_output_is_named_by_options_and_seed_and_never_overwritten(tmp_path):
    args = ("solve", "--potential", "harmonic", "--dim", "2", "--seed", "1", *SET_ARGS)
    first = fkdrift_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "results" / "harmonic_dim2_seed1.h5"
    assert path.is_file()
    before = path.read_bytes()
    again = fkdrift_cli(*args, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [again.stderr.strip()]  # one line
    assert "exists" in again.stderr and "--force" in again.stderr
    assert path.read_bytes() == before
    forced = fkdrift_cli(*args, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert fkdrift.load(path).info["seed"] == 1


def test_version(tmp_path):
    proc = fkdrift_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and fkdrift.__version__ in proc.stdout


def test_show_several_files_as_one_table_and_as_json(harmonic_run, user_run, tmp_path):
    import json

    _, harmonic_path = harmonic_run
    _, user_path, _ = user_run
    table = fkdrift_cli("show", str(harmonic_path), str(user_path), cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["file", "system", "E0"] and len(lines) == 3
    for path, result in ((harmonic_path, fkdrift.load(harmonic_path)),
                         (user_path, fkdrift.load(user_path))):
        line = next(x for x in lines if x.startswith(str(path)))
        assert f"{result.info['seed']}" in line.split() and "cpu" in line
    as_json = fkdrift_cli("show", "--json", str(harmonic_path), cwd=tmp_path)
    record = json.loads(as_json.stdout)
    again = fkdrift.load(harmonic_path)
    assert record["energy"] == again.energy and record["error"] == again.energy_error
    assert record["seed"] == 0 and record["reference"] == 0.5
    assert record["fkdrift_version"] == fkdrift.__version__


def test_option_reaches_a_file_potentials_keyword_arguments(tmp_path):
    (tmp_path / "well.py").write_text(
        "import jax.numpy as jnp\n\n\ndef W(r, omega=1.0):\n"
        "    return 0.5 * omega**2 * jnp.sum(r ** 2)\n")
    proc = fkdrift_cli("solve", "--potential", "well.py:W", "-o", "omega=2",
                       "-o", "exact_energy=1.0", "--out", "w.h5", *SET_ARGS, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = fkdrift.load(tmp_path / "w.h5")
    assert result.system.source["kwargs"] == {"omega": 2}
    assert float(result.system.potential(jnp.ones((1, 1)))) == 2.0  # ½·ω²·1, ω = 2
    assert result.exact_energy == 1.0
    assert abs(result.energy - 1.0) < 0.1  # E0 = ω/2 (a 30-update drift, reweighted)


def run_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


@pytest.mark.slow  # long: CI runs it with the slow set
def test_config_file_reproduces_the_flags_run(harmonic_run, tmp_path):
    proc, flags_path = harmonic_run
    settings = "\n".join(f"{k} = {v}" for k, v in FAST_SETTINGS.items())
    path = run_file(tmp_path, f'potential = "harmonic"\nseed = 0\nout = "file.h5"\n\n'
                              f"[settings]\n{settings}\n")
    again = fkdrift_cli("solve", "--config", str(path), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    by_file, by_flags = fkdrift.load(tmp_path / "file.h5"), fkdrift.load(flags_path)
    assert by_file.energy == by_flags.energy and by_file.energy_error == by_flags.energy_error
    assert by_file.config == by_flags.config


def test_config_file_errors_are_one_line_and_flags_override(tmp_path):
    bad = run_file(tmp_path, 'potential = "harmonic"\nsed = 1\n')
    proc = fkdrift_cli("solve", "--config", str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "unknown key 'sed'; did you mean 'seed'?" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "results").exists()
    typo = run_file(tmp_path, 'potential = "harmonic"\n[settings]\ntrain_step = 5\n')
    proc = fkdrift_cli("solve", "--config", str(typo), cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'train_steps'?" in proc.stderr
    # a flag wins over the file: --set batch=0 is caught although the file says 64
    good = run_file(tmp_path, 'potential = "harmonic"\n[settings]\nbatch = 64\n')
    proc = fkdrift_cli("solve", "--config", str(good), "--set", "batch=0", cwd=tmp_path)
    assert proc.returncode == 2 and "Config.batch" in proc.stderr


def test_fkdrift_config_prints_every_default_as_toml(tmp_path):
    import tomllib

    proc = fkdrift_cli("config", cwd=tmp_path)
    assert proc.returncode == 0
    uncommented = "\n".join(line.removeprefix("# ") for line in proc.stdout.splitlines()
                            if " = None" not in line and not line.startswith("# fkdrift"))
    parsed = tomllib.loads(uncommented)
    defaults = fkdrift.Config().to_dict()
    expected = {k: (list(v) if isinstance(v, tuple) else v) for k, v in defaults.items()
                if v is not None}
    assert parsed["settings"] == expected


@pytest.mark.slow  # two solves in fresh processes
def test_compiled_steps_are_cached_between_runs_without_changing_a_number(tmp_path):
    """FKDRIFT_COMPILE_CACHE=DIR keeps the compiled steps (the training step among them);
    a second run reads them back and ends with the same numbers; "off" keeps nothing."""
    cache = tmp_path / "cache"
    args = ["solve", "--potential", "harmonic", "--seed", "0", "--json", *SET_ARGS]
    env = {**os.environ, "FKDRIFT_COMPILE_CACHE": str(cache)}
    runs = [subprocess.run([*FKDRIFT, *args, "--out", f"{i}.h5"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300) for i in (1, 2)]
    assert [p.returncode for p in runs] == [0, 0], runs[0].stderr[-500:]
    assert any(p.name.startswith("jit_train_step") for p in cache.iterdir())
    one, two = (fkdrift.load(tmp_path / f"{i}.h5") for i in (1, 2))
    assert one.energy == two.energy and one.energy_error == two.energy_error
    off = tmp_path / "off"
    proc = subprocess.run([*FKDRIFT, *args, "--out", "3.h5"], cwd=tmp_path, timeout=300,
                          env={**env, "FKDRIFT_COMPILE_CACHE": "off",
                               "XDG_CACHE_HOME": str(off)}, capture_output=True, text=True)
    assert proc.returncode == 0 and not off.exists()
