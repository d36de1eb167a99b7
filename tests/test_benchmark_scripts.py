"""The throughput benchmarks run end to end at toy sizes (they had broken silently once,
when `Config.dt` became a per-system default). Timings are not asserted, only what the
scripts report about the networks they timed."""

import math

import pytest
from conftest import load_benchmark

TINY = ["--batch", "8", "--window", "4", "--repeats", "1", "--rounds", "1"]


@pytest.mark.slow  # long: CI runs it with the slow set
def test_particles_benchmark_times_both_drifts_at_each_particle_number():
    result = load_benchmark("particles").main(["--particles", "1", "3", "--no-memory", *TINY])
    assert result["dt"] == 0.01
    rows = {(row["kind"], row["particles"]): row for row in result["rows"]}
    assert set(rows) == {(kind, n) for kind in ("bosons", "distinguishable") for n in (1, 3)}
    for row in rows.values():
        rate = row["median_walker_steps_per_s"]
        assert math.isfinite(rate) and rate > 0
    assert rows["bosons", 1]["drift"] == "PairDrift"
    assert rows["distinguishable", 1]["drift"] == "MLPDrift"
    # the equivariant network shares its weights over particles; the flat MLP does not
    assert rows["bosons", 1]["parameters"] == rows["bosons", 3]["parameters"]
    assert rows["distinguishable", 3]["parameters"] > rows["distinguishable", 1]["parameters"]


def test_throughput_benchmark_times_fkdrift_against_the_plain_scan():
    result = load_benchmark("throughput").main(["--dim", "2", *TINY])
    assert result["dt"] == 0.01
    assert set(result["median_walker_steps_per_s"]) == {"fkdrift", "plain"}
    assert all(rate > 0 for rate in result["median_walker_steps_per_s"].values())
    assert result["ratio"] > 0


@pytest.mark.slow  # long: CI runs it with the slow set
def test_gpu_benchmark_runs_its_three_parts_on_the_cpu():
    """The accelerator script at smoke-test size on whatever device this is (no helium
    run: that part is `fkdrift.solve` with a target and budget, tested elsewhere)."""
    result = load_benchmark("gpu").main(["--quick", "--skip-helium"])
    assert [row["batch"] for row in result["throughput"]] == [64, 128, 256]
    assert all(row["walker_steps_per_s"] > 0 for row in result["throughput"])
    assert result["bosons"]["particles"] == 4 and result["bosons"]["seconds_per_update"] > 0
    assert result["device"].startswith("cpu")


@pytest.mark.slow  # long: CI runs it with the slow set
def test_particles_forward_mode_times_every_drift_network(tmp_path):
    result = load_benchmark("particles").main(
        ["--forward", "--particles", "2", "8", "--batch", "8", "--window", "2", "--repeats",
         "1", "--rounds", "1", "--plot", str(tmp_path / "cost.png")])
    networks = {row["network"] for row in result["rows"]}
    assert len(networks) == 5 and {row["particles"] for row in result["rows"]} == {2, 8}
    assert all(row["seconds_per_walker_step"] > 0 for row in result["rows"])
    assert set(result["exponents_from_N8"]) == set()  # one point at N >= 8: no fit
    assert (tmp_path / "cost.png").stat().st_size > 0


@pytest.mark.slow  # long: CI runs it with the slow set
def test_stage_times_clocks_every_stage_of_a_solve():
    rows = load_benchmark("stage_times").main(
        ["--potential", "harmonic", "--set", "train_steps=20", "--set", "batch=64",
         "--set", "eval_walkers=128", "--set", "eval_time=1.0", "--set", "burn_in_time=0.5",
         "--set", "reweighted_time=2.0"])
    names = [name for name, _, _ in rows]
    assert {"import", "_train", "burn_in", "evaluate", "reweighted_energy"} <= set(names)
    assert all(seconds >= 0 for _, _, seconds in rows)
    import fkdrift._solver

    assert fkdrift._solver._train.__name__ == "_train"
    assert not hasattr(fkdrift._solver._train, "__wrapped__")  # put back as it was


@pytest.mark.slow  # long: CI runs it with the slow set
def test_guides_benchmark_measures_each_guide_against_exact_helium():
    rows = load_benchmark("guides").main(
        ["--features", "distances", "coordinates", "--moves", "metropolis:0.04:2",
         "--updates", "3", "--batch", "32", "--eval-walkers", "64", "--eval-chunks", "40"])
    assert [(row["features"], row["moves"]) for row in rows] == [
        ("distances", "metropolis:0.04:2"), ("coordinates", "metropolis:0.04:2")]
    for row in rows:
        # an untrained guide (hydrogen-like cusps only) is far above E0 and noisy
        assert row["from_exact"] > 0 and row["variance"] > 0 and row["error"] > 0
        assert 0.5 < row["acceptance"] <= 1.0


@pytest.mark.slow  # two process launches of a solve each: CI runs it with the slow set
def test_processes_benchmark_times_one_process_against_two(tmp_path):
    """The two-process benchmark at toy size: both launches report, the second from two
    processes on two devices with the same walkers, and an agreement costs something
    only there."""
    result = load_benchmark("processes").main(["--systems", "harmonic", "--updates", "12",
                                               "--chunks", "2"])
    (row,) = result["rows"]
    one, two = row["one"], row["two"]
    assert (one["processes"], one["devices"]) == (1, 1)
    assert (two["processes"], two["devices"]) == (2, 2)
    assert one["batch"] == two["batch"] and one["eval_walkers"] == two["eval_walkers"]
    for key in ("step_ms", "loop_ms", "chunk_ms"):
        assert math.isfinite(row["ratio"][key]) and row["ratio"][key] > 0
    assert two["agree_ms"] > one["agree_ms"]  # one process: a clock read, no collective
