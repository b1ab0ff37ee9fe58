"""What the deciding commands share: their options, and one prompt's table loaded and checked.

`scorecard`, `compare`, `gate`, `tags` and `trend` take the same `--prompt`,
`--rubric`, `--source` and `--json`, pick the same default rubrics and refuse
the same mistakes the same way: an unknown prompt, version or rubric is exit 2
with a message naming what does exist, and a `[scorecard.metrics.NAME]` for a
rubric that doesn't exist names the file and the key. Loading reads the
database once (`Repository.prompt_table`) and closes it before any statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui_annotate.config import CONFIG_FILE
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.cli.context import Context
    from tui_annotate.core.decide.config import ScorecardConfig
    from tui_annotate.core.decide.table import PromptTable
    from tui_annotate.core.models import Rubric
    from tui_annotate.core.results.decide import RubricInfo
    from tui_annotate.store.repository import Repository

F = TypeVar("F", bound=Callable[..., Any])

#: The default number of bootstrap replicates (the issue's contract).
BOOTSTRAP = 2000


def decide_options(*, bootstrap: bool = True) -> Callable[[F], F]:
    """--prompt, --rubric (repeatable), --source, [--bootstrap, --seed,] --json.

    `tags` and `trend` count and take Wilson intervals only; they resample
    nothing, so they take no --bootstrap or --seed rather than ignore them.
    """

    def decorate(fn: F) -> F:
        opts = [
            click.option("--prompt", required=True, metavar="P", help="The prompt to decide on."),
            click.option(
                "--rubric",
                "rubric_names",
                multiple=True,
                metavar="NAME",
                help="A rubric to count (repeatable) [default: the [scorecard] metrics, "
                "else every rubric with labels on the prompt].",
            ),
            click.option(
                "--source",
                type=click.Choice(["human", "judge", "ppi"]),
                default="human",
                show_default=True,
                help="human: people and golden labels only; judge: the judge where no person "
                "labelled; ppi: judge bulk corrected by the items people also labelled.",
            ),
        ]
        if bootstrap:
            opts += [
                click.option(
                    "--bootstrap",
                    type=click.IntRange(min=0),
                    default=BOOTSTRAP,
                    show_default=True,
                    help="Bootstrap replicates for the mean and difference intervals.",
                ),
                click.option(
                    "--seed", type=int, default=0, show_default=True, help="Bootstrap seed."
                ),
            ]
        opts.append(click.option("--json", "as_json", is_flag=True, help="Print as JSON."))
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate


@dataclass(frozen=True, eq=False)
class Loaded:
    """One prompt's table, its rubrics' rules and the [scorecard] config, checked."""

    table: PromptTable
    infos: dict[str, RubricInfo]
    config: ScorecardConfig
    #: (external id, rubric, rubric version, score) of the current golden labels (gate only).
    golden_rows: list[tuple[str, str, str, int]]

    @property
    def versions(self) -> tuple[str, ...]:
        return self.table.versions

    def check_version(self, version: str, option: str, *, golden: bool = False) -> str:
        """VERSION if the prompt has it (or it is "golden" where allowed); else exit 2 naming them."""
        if version in self.versions or (golden and version == "golden"):
            return version
        known = ", ".join(self.versions) or "none"
        also = ', or "golden"' if golden else ""
        raise InputError(
            f"prompt {self.table.prompt!r} has no version {version!r} (versions: {known}{also})",
            field=option,
        )


def config_file() -> str:
    """The project file `[scorecard]` is read from (config.load reads ./tui-annotate.toml)."""
    return str(Path.cwd() / CONFIG_FILE)


def checked_rubrics(
    obj: Context,
    repo: Repository,
    prompt: str,
    rubric_names: Sequence[str],
    config: ScorecardConfig,
) -> list[Rubric]:
    """The rubrics a deciding command counts, checked; InputError (exit 2) naming what exists.

    RUBRIC_NAMES, else the [scorecard] metrics, else every rubric with labels on
    PROMPT. An unknown prompt is named as such rather than as "no rubric": the
    list of prompts scans the items, so it is read only when something is missing.
    """
    from tui_annotate.core import rubric as rubrics
    from tui_annotate.core.decide.config import check_metrics

    known = rubrics.discover(obj.rubric_dirs())
    check_metrics(config, known, config_file())
    names = list(dict.fromkeys(rubric_names or config.metrics))
    if not names:
        names = list(repo.rubrics_labelled(prompt))
        if not names:
            raise_unless_prompt(repo, prompt)
            raise InputError(
                f"no rubric has labels on prompt {prompt!r}; name one with --rubric",
                field="--rubric",
            )
    for name in names:
        if name not in known:
            raise_unless_prompt(repo, prompt)
            labelled = ", ".join(repo.rubrics_labelled(prompt)) or "none"
            raise InputError(
                f"no rubric named {name!r} (with labels on {prompt!r}: {labelled}; "
                f"rubric files: {', '.join(sorted(known))})",
                field="--rubric",
            )
    return [obj.rubric(name) for name in names]


def raise_unless_prompt(repo: Repository, prompt: str) -> tuple[str, ...]:
    """PROMPT's versions; exit 2 naming the prompts there are if it is none of them."""
    prompts = repo.decide_prompts()
    if prompt not in prompts:
        listed = ", ".join(repr(p) for p in sorted(prompts)) or "none"
        raise InputError(f"no prompt {prompt!r} (prompts: {listed})", field="--prompt")
    return prompts[prompt]


def load(
    obj: Context,
    prompt: str,
    rubric_names: Sequence[str],
    *,
    golden: bool = False,
    notes: bool = True,
) -> Loaded:
    """Check PROMPT and the rubrics against what exists, and read the prompt's table.

    GOLDEN also reads the golden rows the gate's lock hashes; NOTES=False skips
    the FAIL rows' tags and comments for commands that never show them (at a
    million items, a third of the read).
    """
    from tui_annotate.core.decide.infos import rubric_infos

    obj.require_db()
    config = obj.settings.scorecard
    with obj.repo(readonly=True) as repo:
        chosen = checked_rubrics(obj, repo, prompt, rubric_names, config)
        table = repo.prompt_table(prompt, chosen, notes=notes)
        if not len(table):
            raise_unless_prompt(repo, prompt)
        golden_rows = repo.golden_digest_rows([r.name for r in chosen]) if golden else []
    return Loaded(
        table=table,
        infos=rubric_infos(chosen, config),
        config=config,
        golden_rows=list(golden_rows),
    )
