"""Command line: `fkdrift solve`, `fkdrift list`, `fkdrift show`, `fkdrift plot`."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ._checkpoint import checkpoint_path, read_checkpoint
from ._compile_cache import use_compile_cache
from ._config import SECTIONS, Config, did_you_mean
from ._errors import FkdriftError
from ._progress import Fanout, LineProgress, TrainingLog
from ._version import __version__

console = Console(stderr=True)


class RichProgress:
    """Draws the training and evaluation bars of `fkdrift.solve` with rich."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, object] = {}

    def _update(self, name: str, done: float, total: float, label: str) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=total)
        self.progress.update(self.tasks[name], completed=done, description=label)

    def training(self, step: int, total: int, values: dict[str, float]) -> None:
        self._update("training", step, total, f"training     E={values['energy']:.5f}")

    def evaluating(self, measured: float, planned: float, error: float) -> None:
        label = "variational" if error != error else f"variational  ±{error:.1e}"
        self._update("variational", measured, planned, label)

    def reweighting(self, measured: float, planned: float, error: float) -> None:
        self._update("reweighted", measured, planned, "reweighted")


def _parse_options(options: tuple[str, ...], flag: str = "--option") -> dict:
    """KEY=VALUE pairs of `flag` (values parsed as Python literals where possible)."""
    import ast

    out = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise FkdriftError(f"{flag} needs KEY=VALUE, got '{item}'")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def parse_spins(value) -> tuple[int, int] | None:
    """--spins N_UP,N_DOWN (or a run file's "2,1" or [2, 1]) as (n_up, n_down); a one-line
    FkdriftError for anything else."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else value
    try:
        spins = tuple(int(str(p).strip()) for p in parts)
    except (TypeError, ValueError):
        spins = ()
    if len(spins) != 2 or min(spins) < 0:
        raise FkdriftError(f"--spins must be two non-negative integers N_UP,N_DOWN (e.g. "
                           f"--spins 2,1), got {value!r}")
    return spins


def build_system(potential: str, dim: int | None, particles: int | None, options: dict,
                 spins: tuple[int, int] | None = None):
    """The System named on the command line: a registered name or path/to/file.py:function.
    spins: (n_up, n_down) of identical fermions (a file's potential then describes
    fermions)."""
    from ._system import System
    from ._user_potential import check_keywords, load_potential
    from .registry import build

    if ":" in potential or potential.endswith(".py"):
        func = load_potential(potential)
        bound, keywords, system_options = bind_keywords(func, options)
        if spins is not None:
            system_options = {"statistics": "fermions", **system_options, "spins": spins}
        source = {"file": str(Path(potential.rpartition(":")[0]).resolve()) + ":"
                  + potential.rpartition(":")[2]}
        if keywords:
            source["kwargs"] = keywords
        system = System(
            potential=bound, particles=1 if particles is None else particles,
            dim=1 if dim is None else dim,
            name=Path(potential.rpartition(":")[0]).stem + "_" + potential.rpartition(":")[2],
            source=source,
            **system_options,
        )
        check_keywords(func, keywords, system.shape)
        return system
    kwargs = dict(options)
    if dim is not None:
        kwargs["dim"] = dim
    if particles is not None:
        kwargs["particles"] = particles
    if spins is not None:
        kwargs["spins"] = spins
    return build(potential, **kwargs)


RUN_KEYS = {"potential": str, "dim": int, "particles": int, "seed": int, "out": str,
            "options": dict, "settings": dict, "spins": (str, list)}


def read_run_file(path: str) -> dict:
    """The run described by a TOML file (keys of `RUN_KEYS`), checked before any work."""
    import tomllib

    try:
        with open(path, "rb") as f:
            run = tomllib.load(f)
    except OSError as exc:
        raise FkdriftError(f"cannot read --config {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FkdriftError(f"--config {path} is not valid TOML: {exc}") from exc
    for key, value in run.items():
        if key not in RUN_KEYS:
            raise FkdriftError(f"--config {path}: unknown key '{key}'"
                               + did_you_mean(key, list(RUN_KEYS)))
        kinds = RUN_KEYS[key] if isinstance(RUN_KEYS[key], tuple) else (RUN_KEYS[key],)
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise FkdriftError(f"--config {path}: '{key}' must be a "
                               f"{' or '.join(k.__name__ for k in kinds)}, got {value!r}")
    return run


def bind_keywords(func, options: dict):
    """Split -o options between a file potential's own keyword arguments (bound with
    functools.partial) and `System` fields (e.g. exact_energy); anything else is an error.
    Returns (potential, its keywords, System keywords)."""
    import dataclasses
    import functools
    import inspect

    from ._system import System
    from .registry import check_option_values

    own = list(inspect.signature(func).parameters)[1:]  # after r
    fields = [f.name for f in dataclasses.fields(System)
              if f.name not in ("potential", "particles", "dim", "name", "source")]
    keywords = {k: v for k, v in options.items() if k in own}
    rest = {k: v for k, v in options.items() if k not in own}
    unknown = sorted(set(rest) - set(fields))
    if unknown:
        raise FkdriftError(
            f"option '{unknown[0]}' is neither a keyword argument of {func.__name__} "
            f"({', '.join(own) or 'none'}) nor a System field ({', '.join(fields)})"
            + did_you_mean(unknown[0], own + fields))
    check_option_values(func.__name__, func, keywords)
    return (functools.partial(func, **keywords) if keywords else func), keywords, rest


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fkdrift")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """fkdrift: ground states of H = -1/2 Laplacian + V by Feynman-Kac drift learning."""
    ctx.obj = {"debug": debug}
    use_compile_cache(os.environ.get("FKDRIFT_COMPILE_CACHE"))


def distributed_options(command):
    """The options that join a multi-process run (`solve` and `resume`)."""
    options = [
        click.option("--distributed", is_flag=True,
                     help="Join a multi-process run (jax.distributed); without the three "
                          "options below, under a SLURM or MPI launch that JAX detects."),
        click.option("--coordinator", default=None, metavar="HOST:PORT",
                     help="Address of process 0's coordinator (with --distributed)."),
        click.option("--num-processes", type=int, default=None,
                     help="Processes in the run."),
        click.option("--process-id", type=int, default=None,
                     help="This process's id, 0..N-1."),
        click.option("--distributed-timeout", default=60.0, show_default=True,
                     type=click.FloatRange(min=0, min_open=True),
                     metavar="SECONDS",
                     help="Give up joining (one-line error) when the coordinator or the "
                          "other processes do not answer within this many seconds."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def join(distributed: bool, coordinator: str | None, num_processes: int | None,
         process_id: int | None, timeout: float = 60.0) -> None:
    """Join the multi-process run the options ask for, giving up after `timeout` seconds
    (one-line errors; `exit_after` waits 2 s more, so that initialize's own error about an
    unreachable coordinator comes first)."""
    from ._distributed import initialize

    launch = {"coordinator": coordinator, "num_processes": num_processes,
              "process_id": process_id}
    if distributed:
        where = f"coordinator {coordinator}" if coordinator else "the launcher's coordinator"
        with exit_after(timeout + 2, f"cannot join the distributed run: the {where} and the "
                                 f"other processes did not all answer within {timeout:g} s "
                                 "(--distributed-timeout)"):
            initialize(**launch, timeout=timeout)
    elif any(v is not None for v in launch.values()):
        raise FkdriftError("--coordinator, --num-processes and --process-id need --distributed")


@contextlib.contextmanager
def exit_after(seconds: float, message: str):
    """Print `error: message` and end the process (exit 2) if the block still runs after
    `seconds`: JAX's distributed client, out of time, aborts the process with a C++ stack
    trace (about 5 s after its own initialization_timeout) that Python cannot catch."""
    import os
    import threading

    done = threading.Event()

    def watch() -> None:
        if not done.wait(seconds):
            sys.stderr.write(f"error: {message}\n")
            sys.stderr.flush()
            os._exit(2)

    threading.Thread(target=watch, daemon=True).start()
    try:
        yield
    finally:
        done.set()


SOLVE_HELP = ("Train a drift for POTENTIAL, evaluate E0 with an error bar, write HDF5.\n\n"
              "Config fields for --set (see `fkdrift config`): "
              + ", ".join(Config().to_dict()) + ".")

SEED_LIMIT = 2**63
"""Seeds run from 0 to 2**63 - 1: what jax.random.PRNGKey takes without overflow (in
double precision, which importing fkdrift turns on)."""


def check_seed(seed: int | None, run: dict, config_file: str | None) -> int:
    """The run's seed (--seed, else the --config file's, else 0), refused in one line
    outside 0 ≤ seed < 2**63."""
    where = "--seed" if seed is not None else f"seed in --config {config_file}"
    seed = seed if seed is not None else run.get("seed", 0)
    if not 0 <= seed < SEED_LIMIT:
        raise FkdriftError(f"{where} must be an integer from 0 to 2**63 - 1, got {seed}")
    return seed


def check_stopping_flags(target_error: float | None, time_budget: float | None) -> None:
    """--target-error must be a finite positive number, --time-budget a finite positive
    number of seconds (leaving it out means no budget; 0 is refused, not taken as none)."""
    if target_error is not None and not (math.isfinite(target_error) and target_error > 0):
        raise FkdriftError(f"--target-error must be a finite positive number, got "
                           f"{target_error}")
    if time_budget is not None and not (math.isfinite(time_budget) and time_budget > 0):
        raise FkdriftError(f"--time-budget must be a finite positive number of seconds, got "
                           f"{time_budget} (leave it out for no budget)")


def given_by(flag: str, given: dict, table: str, run: dict,
             config_file: str | None) -> dict[str, dict]:
    """KEY=VALUE pairs of one kind by where they were given: the command line's `flag`
    ("-o", "--set": `given`) and the --config file's [`table`]."""
    return {flag: given, **({f"[{table}] in --config {config_file}": run.get(table, {})}
                            if config_file else {})}


def one_value(key: str, flag_value, run: dict, config_file: str | None,
              tables: dict[str, dict]):
    """The value of --KEY (else KEY in the --config file `run`), refused in one line when
    a KEY=VALUE of `tables` (see `given_by`) says otherwise."""
    flag = "--" + key.replace("_", "-")
    said = f"{flag} {flag_value}" if flag_value is not None else (
        f"{key} = {run.get(key)} in --config {config_file}")
    value = flag_value if flag_value is not None else run.get(key)
    for where, given in tables.items():
        if value is not None and key in given and given[key] != value:
            raise FkdriftError(f"{said} conflicts with {key}={given[key]!r} given by "
                               f"{where}; give one of them")
    return value


@cli.command(help=SOLVE_HELP)
@click.option("--config", "config_file", type=click.Path(), default=None,
              help="TOML file with potential, dim, particles, seed, out and tables "
                   "[options] (-o) and [settings] (--set); flags given override it "
                   "(`fkdrift config` prints the defaults).")
@click.option("--potential", "-p", default=None,
              help="Built-in name (see `fkdrift list`) or path/to/file.py:function.")
@click.option("--dim", type=int, default=None, help="Spatial dimension.")
@click.option("--particles", type=int, default=None, help="Number of particles.")
@click.option("--spins", default=None,
              help="N_UP,N_DOWN: identical fermions with these spins (fixed-node).")
@click.option("--seed", type=int, default=None, help="PRNG seed [default: 0].")
@click.option("--out", type=click.Path(), default=None,
              help="HDF5 result file [default: results/NAME[_OPTIONS]_seedSEED.h5]. The "
                   "training log goes beside it (.train.jsonl).")
@click.option("--force", is_flag=True, help="Overwrite an existing result file.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as one JSON object (see `fkdrift show --json`).")
@click.option("--option", "-o", "options", multiple=True,
              help="System option KEY=VALUE, e.g. -o omega=2 or -o Z=2 (repeatable).")
@click.option("--set", "settings", multiple=True,
              help="Config field KEY=VALUE, e.g. --set train_steps=1000 (repeatable).")
@click.option("--target-error", type=float, default=None,
              help="Stop once E0's error bar is below this (training stops at a plateau).")
@click.option("--time-budget", type=float, default=None,
              help="Wall-clock seconds for the whole run, spread over training and both "
                   "estimators.")
@click.option("--checkpoint-every", type=float, default=300.0, show_default=True,
              help="Seconds between checkpoints of the run (OUT.ckpt; also written "
                   "when training ends, whatever the interval, and on Ctrl-C or SIGTERM; "
                   "`fkdrift resume OUT`). A run killed with SIGKILL before its first "
                   "checkpoint keeps nothing.")
@distributed_options
def solve(config_file, potential, dim, particles, spins, seed, out, force, as_json, options,
          settings, target_error, time_budget, checkpoint_every, distributed, coordinator,
          num_processes, process_id, distributed_timeout) -> None:
    from ._hdf5 import check_writable
    from ._memory import check_memory
    from ._solver import solve as run_solve

    join(distributed, coordinator, num_processes, process_id, distributed_timeout)
    run = read_run_file(config_file) if config_file else {}
    potential = potential or run.get("potential")
    if not potential:
        raise FkdriftError("give --potential NAME (or potential = ... in the --config file)")
    check_stopping_flags(target_error, time_budget)
    seed = check_seed(seed, run, config_file)
    out = out or run.get("out")
    options, settings = _parse_options(options), _parse_options(settings, "--set")
    tables = given_by("-o", options, "options", run, config_file)
    dim = one_value("dim", dim, run, config_file, tables)
    particles = one_value("particles", particles, run, config_file, tables)
    run = {**run, "spins": parse_spins(run.get("spins"))}
    spins = one_value("spins", parse_spins(spins), run, config_file, tables)
    system_options = {**run.get("options", {}), **options}
    system = build_system(potential, dim, particles, system_options, spins)
    tables = given_by("--set", settings, "settings", run, config_file)
    changes = {**run.get("settings", {}), **settings}
    for key, value in (("target_error", target_error), ("time_budget", time_budget)):
        if one_value(key, value, {}, config_file, tables) is not None:
            changes[key] = value
    config = Config().replace(**changes)
    check_memory(system, config.for_system(system))  # before any work or file
    path = Path(out) if out else default_output(
        system.name, {**system_options, **({"spins": f"{spins[0]}u{spins[1]}d"}
                                           if spins else {})}, dim, particles, seed)
    path = check_writable(path)
    if path.exists() and not force:
        raise FkdriftError(f"{path} exists; pass --force to overwrite it or choose another --out")
    if checkpoint_path(path).is_file() and not force:
        raise FkdriftError(f"{checkpoint_path(path)} holds an interrupted run: continue it "
                           f"with `fkdrift resume {path}`, or pass --force to start over")
    if not checkpoint_every > 0:
        raise FkdriftError(f"--checkpoint-every must be positive, got {checkpoint_every}")
    start = time.perf_counter()
    checkpoint = checkpoint_path(path)
    result = _run_with_progress(path, lambda progress: run_solve(
        system, seed=seed, config=config, progress=progress,
        checkpoint=checkpoint, checkpoint_every=checkpoint_every), fresh=True)
    if result is not None:
        _finish(result, path, start, as_json)


@cli.command()
@click.argument("out", type=click.Path())
@click.option("--checkpoint-every", type=float, default=300.0, show_default=True,
              help="Seconds between checkpoints of the run.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@distributed_options
def resume(out: str, checkpoint_every: float, as_json: bool, distributed: bool,
           coordinator: str | None, num_processes: int | None,
           process_id: int | None, distributed_timeout: float) -> None:
    """Continue the interrupted run that was writing OUT (from OUT.ckpt) and write OUT.

    A multi-process run resumes with the same processes and the same --distributed
    options; every process reads OUT.ckpt (on a file system they share)."""
    from ._distributed import is_main_process
    from ._solver import resume as run_resume

    join(distributed, coordinator, num_processes, process_id, distributed_timeout)
    path = Path(out)
    ckpt = checkpoint_path(path)
    if not ckpt.is_file():
        raise FkdriftError(f"no checkpoint {ckpt}: nothing to resume for {path}")
    if is_main_process():
        _trim_training_log(path.with_suffix(".train.jsonl"),
                           read_checkpoint(ckpt).meta["updates"])
    start = time.perf_counter()
    result = _run_with_progress(path, lambda progress: run_resume(
        ckpt, progress=progress, checkpoint_every=checkpoint_every))
    if result is not None:
        _finish(result, path, start, as_json)


def _trim_training_log(log: Path, updates: int) -> None:
    """Keep the first `updates` rows of a training log (the updates the checkpoint holds;
    the resumed run appends the rest again)."""
    if log.is_file():
        rows = log.read_text().splitlines()[:updates]
        log.write_text("".join(row + "\n" for row in rows))


def _run_with_progress(path: Path, run, fresh: bool = False):
    """Run `run(progress)` with bars on a terminal or lines otherwise, the training log
    beside `path`, and Ctrl-C/SIGTERM turned into a kept checkpoint and a resume hint
    (exit 130 for SIGINT, 143 for SIGTERM). fresh: a new run (`solve`), whose failure
    removes what it created (checkpoint, log, output folder); a resumed run's failure
    removes nothing, so the checkpoint can still be resumed once the cause is fixed.
    Processes other than 0 of a multi-process run compute their share without progress
    or messages and return None."""
    import signal

    from ._distributed import defer_interrupts, interrupting_signal, is_main_process

    def terminate(signum, frame):
        interrupting_signal(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    # Ctrl-C (or kill -INT) interrupts even when the process was started with SIGINT
    # ignored, as a shell does for background jobs (a test harness's workers did too)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = is_main_process()
    created = _not_yet_existing(path) if fresh and main else []
    log = TrainingLog(path.with_suffix(".train.jsonl"), append=not fresh) if main else None
    interrupting_signal(0)
    try:
        with defer_interrupts():  # several processes: all stop at one agreed point
            if not main:
                run(None)
                return None
            if console.is_terminal:
                columns = (TextColumn("{task.description}"), BarColumn(),
                           TimeElapsedColumn(), TimeRemainingColumn())
                with Progress(*columns, console=console, transient=True) as bar:
                    return run(Fanout(RichProgress(bar), log))
            return run(Fanout(LineProgress(sys.stderr), log))  # a log file or a batch job
    except FkdriftError:
        _remove_created(created, log)
        raise
    except KeyboardInterrupt:
        signum = interrupting_signal() or signal.SIGINT
        ckpt = checkpoint_path(path)
        if main and ckpt.is_file():
            click.echo(f"interrupted: checkpoint kept in {ckpt}; continue with: "
                       f"fkdrift resume {path}", err=True)
        elif main:
            _remove_created(created, log)
            click.echo("interrupted before the first checkpoint: nothing kept (checkpoints "
                       "come when training ends and every --checkpoint-every seconds)",
                       err=True)
        sys.exit(128 + int(signum))
    finally:
        if log is not None:
            log.close()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _not_yet_existing(path: Path) -> list[Path]:
    """What a new run writing `path` may create: its checkpoint, its training log, and the
    folders above it that do not exist yet (innermost first)."""
    created = [checkpoint_path(path), path.with_suffix(".train.jsonl")]
    created = [p for p in created if not p.exists()]
    folder = path.parent.absolute()
    while not folder.exists():
        created.append(folder)
        folder = folder.parent
    return created


def _remove_created(created: list[Path], log) -> None:
    """Remove the files and (empty) folders a failed new run created."""
    if log is not None:
        log.close()
    for p in created:
        if p.is_dir():
            with contextlib.suppress(OSError):  # something else was put there meanwhile
                p.rmdir()
        else:
            p.unlink(missing_ok=True)


def _finish(result, path: Path, start: float, as_json: bool) -> None:
    """Save the result, drop the checkpoint, print the summary."""
    result.save(path)
    checkpoint_path(path).unlink(missing_ok=True)
    if as_json:
        import json

        click.echo(json.dumps(record(result, path)))
        return
    click.echo(result.summary())
    click.echo(f"wall time {time.perf_counter() - start:.1f} s on {result.info['device']}: "
               f"{time_spent(result.info)}; wrote {path}")


def default_output(name: str, options: dict, dim: int | None, particles: int | None,
                   seed: int) -> Path:
    """results/NAME[_KEYVALUE...]_seedSEED.h5: the system's name, the options given on the
    command line (those the name does not already carry) and the seed, so that runs
    differing in any of them never share a file (and never meet the committed results)."""
    given = {**options, **({"dim": dim} if dim is not None else {}),
             **({"particles": particles} if particles is not None else {})}
    tags = [f"{k}{v:g}" if isinstance(v, (int, float)) else f"{k}{v}"
            for k, v in sorted(given.items())]
    tags = [t for t in tags if t not in name]
    stem = "_".join([name, *tags, f"seed{seed}"])
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)
    return Path("results") / f"{safe}.h5"


def time_spent(info: dict) -> str:
    """Where a run's time went, from its `info`."""
    parts = [f"training {info['train_time']:.1f} s ({info.get('updates', '?')} updates, "
             f"stopped by {info.get('train_stop_reason', 'train_steps')}"
             + (f", {info['rewinds']} rewinds after divergence" if info.get("rewinds") else "")
             + ")"]
    for stage in ("variational", "reweighted"):
        if f"{stage}_wall_time" in info:
            parts.append(f"{stage} {info[f'{stage}_wall_time']:.1f} s")
    return ", ".join(parts) + f" (evaluation stopped by {info.get('stop_reason', '')})"


@cli.command("config")
def print_config() -> None:
    """Print a run file (TOML for `solve --config`) with every default, commented."""
    lines = ["# fkdrift run file: fkdrift solve --config THIS.toml (flags override it)",
             'potential = "harmonic"    # built-in name or path/to/file.py:function',
             "# dim = 1", "# particles = 1", '# spins = "2,1"    # fermions: N_UP,N_DOWN',
             "seed = 0", '# out = "results/run.h5"', "",
             "[options]    # system options, as -o KEY=VALUE", "# omega = 1.0", "",
             "[settings]   # Config fields, as --set KEY=VALUE (None: chosen per system)"]
    defaults = Config()
    for section in SECTIONS:
        lines.append(f"## {section}")
        for key, value in dataclasses.asdict(getattr(defaults, section)).items():
            shown = "None" if value is None else _toml_value(value)
            lines.append(f"# {key} = {shown}")
    click.echo("\n".join(lines))


def _toml_value(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


@cli.command("list")
def list_systems() -> None:
    """Show the built-in systems and their exact energies."""
    import inspect

    from . import registry

    for name in registry.names():
        system = registry.build(name)
        exact = "" if system.exact_energy is None else f"E0 = {system.exact_energy:.9g}"
        doc = (registry.factory(name).__doc__ or "").strip().splitlines()[0]
        click.echo(f"{name:16s} {exact:22s} {doc}")
        options = [f"{p.name}={p.default!r}" for p in
                   inspect.signature(registry.factory(name)).parameters.values()]
        click.echo(f"{'':16s} options (-o KEY=VALUE): {', '.join(options) or 'none'}")


@cli.command()
@click.argument("result_files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file instead.")
def show(result_files: tuple[str, ...], as_json: bool) -> None:
    """Print saved results: one file in full, several as one table. A file that cannot be
    read gets one `error:` line on stderr (the others are still shown) and exit code 2."""
    import json

    results, failures = load_results(result_files)
    if as_json:
        for path, result in results:
            click.echo(json.dumps(record(result, path)))
    elif len(result_files) == 1 and results:
        path, result = results[0]
        click.echo(result.summary())
        click.echo(run_line(record(result, path)))
        click.echo(f"config: {result.config.to_dict()}")
    elif results:
        click.echo(show_table([record(result, path) for path, result in results]))
    for failure in failures:
        click.echo(f"error: {failure}", err=True)
    if failures:
        sys.exit(2)


def load_results(paths: tuple[str, ...]) -> tuple[list, list[str]]:
    """The results that load, as (path, Result), and one message per file that does not
    (naming the file)."""
    from ._result import load_result

    results, failures = [], []
    for path in paths:
        try:
            results.append((path, load_result(path)))
        except FkdriftError as exc:
            failures.append(str(exc) if path in str(exc) else f"{path}: {exc}")
    return results, failures


def record(result, path) -> dict:
    """The machine-readable summary of a result (`show --json`, `solve --json`)."""
    info = result.info
    return {
        "file": str(path), "system": result.system.name, "energy": result.energy,
        "error": result.energy_error, "estimator": result.estimator,
        "reference": result.exact_energy, "reference_error": result.system.reference_error,
        "deviation_sigma": result.deviation_sigma, "seed": info.get("seed"),
        "device": info.get("device"), "device_count": info.get("device_count"),
        "wall_time": info.get("wall_time"), "train_time": info.get("train_time"),
        "updates": info.get("updates", len(result.history.get("step", ()))),
        "fkdrift_version": info.get("fkdrift_version"), "jax_version": info.get("jax_version"),
        "warnings": list(result.warnings),
    }


def run_line(rec: dict) -> str:
    return (f"seed {rec['seed']}, {rec['device']} x{rec['device_count']}, "
            f"wall {rec['wall_time']:.0f} s (training {rec['train_time']:.0f} s, "
            f"{rec['updates']} updates), fkdrift {rec['fkdrift_version']}, "
            f"jax {rec['jax_version']}")


def show_table(records: list[dict]) -> str:
    from ._result import value_with_error

    head = ["file", "system", "E0 ± error", "reference", "dev σ", "seed", "device",
            "wall s", "fkdrift"]
    rows = [[r["file"], r["system"], value_with_error(r["energy"], r["error"]),
             "" if r["reference"] is None else f"{r['reference']:.9g}",
             "" if r["deviation_sigma"] is None else f"{r['deviation_sigma']:+.2f}",
             str(r["seed"]), str(r["device"]), f"{r['wall_time']:.0f}",
             str(r["fkdrift_version"])] for r in records]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
                     for line in [head, *rows])


@cli.command()
@click.argument("result_file", type=click.Path())
@click.option("--out", default=None,
              help="Path stem of the PNGs (STEM_report.png, ...), or a folder (existing, or "
                   "ending in /) to write NAME_report.png etc. into [default: beside FILE].")
@click.option("--force", is_flag=True, help="Overwrite existing PNGs.")
def plot(result_file: str, out: str | None, force: bool) -> None:
    """Write PNG plots: a one-page report, training curve, dt extrapolation, densities."""
    from ._hdf5 import check_writable
    from ._plots import figure_paths, plot_result
    from ._result import load_result

    stem = plot_stem(result_file, out)
    paths = figure_paths(stem)
    check_writable(paths[0])
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise FkdriftError(f"{existing[0]} exists ({len(existing)} of the {len(paths)} PNGs "
                           "do); pass --force to overwrite them or choose another --out")
    result = load_result(result_file)
    stem.parent.mkdir(parents=True, exist_ok=True)
    for path in plot_result(result, stem):
        click.echo(f"wrote {path}")


def plot_stem(result_file: str, out: str | None) -> Path:
    """Where `plot` writes STEM_*.png: beside the result (its name without .h5), in the
    folder `out` (an existing folder, or a path ending in /) under the result's name, or
    at the stem `out`."""
    import os

    name = Path(result_file).with_suffix("").name
    if out is None:
        return Path(result_file).with_suffix("")
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        return Path(out) / name
    return Path(out)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors and exit code 2 unless --debug."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="fkdrift", standalone_mode=False)
    except click.exceptions.Abort:
        console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        if debug:
            raise
        click.echo(f"error: {exc.format_message()} (see fkdrift --help)", err=True)
        sys.exit(2)
    except FkdriftError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if debug:
            raise
        click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        sys.exit(1)
