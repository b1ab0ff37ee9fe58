"""`judge` and `route`: the LLM judge labels items, and its hard cases go to people.

(`agreement --judge`, the judge measured against people, lives with `agreement`.)
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core.names import judge_name
from tui_annotate.errors import InputError
from tui_annotate.render import plural


@click.command()
@click.option("--rubric", "rubric_name", required=True, help="The rubric the judge applies.")
@click.option("--model", required=True, help="Model name, as the endpoint knows it.")
@click.option(
    "--base-url",
    default=None,
    envvar="OPENAI_BASE_URL",
    help="An OpenAI-compatible endpoint (vLLM, llama.cpp, Ollama …) [env OPENAI_BASE_URL].",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Judge at most N items.")
@click.option(
    "--items",
    "which",
    type=click.Choice(["unlabeled", "all", "golden"]),
    default="unlabeled",
    show_default=True,
    help="unlabeled: no human or judge label yet; all; golden: the adjudicated set.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Ask K times; confidence = share agreeing with the modal score.",
)
@click.option(
    "--temperature",
    type=float,
    default=None,
    help="Sampling temperature [default: 0, or 1 with --samples > 1].",
)
@click.option("--no-structured", is_flag=True, help="Don't send a JSON-schema response_format.")
@click.option("--no-logprobs", is_flag=True, help="Don't ask for logprobs.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Retries on 429, 5xx and timeouts, with exponential backoff and jitter.",
)
@click.option("--dry-run", is_flag=True, help="Print the exact prompt for one item; send nothing.")
@click.option("--batch", is_flag=True, help="Submit through the OpenAI Batch API.")
@click.option(
    "--resume",
    "resume_id",
    default=None,
    metavar="BATCH_ID",
    help="Collect the results of an earlier --batch run.",
)
@click.option(
    "--poll-seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="How often --batch checks on the batch.",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Live mode: keep judging new items as they arrive (import --follow), until stopped.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("judge")
@stops_cleanly("stopped: the judgements made so far are saved; run the same command to continue")
def judge(
    obj: Context,
    rubric_name: str,
    model: str,
    base_url: str | None,
    concurrency: int,
    limit: int | None,
    which: str,
    samples: int,
    temperature: float | None,
    no_structured: bool,
    no_logprobs: bool,
    timeout: float,
    retries: int,
    dry_run: bool,
    batch: bool,
    resume_id: str | None,
    poll_seconds: float,
    follow: bool,
    as_json: bool,
) -> None:
    """Label items with an LLM judge (labels from annotator judge:MODEL).

    The key comes from OPENAI_API_KEY and is never stored. Finished and cached
    items cost no request, so a re-run (after Ctrl-C, say) continues.
    """
    from tui_annotate.core.judge import run as judging

    rubric = obj.rubric(rubric_name)
    config = judging.JudgeConfig(
        model=model,
        base_url=base_url,
        concurrency=concurrency,
        limit=limit,
        items=which,
        samples=samples,
        structured=not no_structured,
        logprobs=not no_logprobs,
        temperature=temperature if temperature is not None else (1.0 if samples > 1 else 0.0),
        timeout=timeout,
        retries=retries,
    )
    obj.require_db(" (import items first)")
    with obj.repo() as repo:
        if dry_run:
            work = judging.plan(repo, rubric, config)
            if not work:
                # Every item is labelled: the prompt is still worth seeing before a re-run.
                work = judging.plan(repo, rubric, dataclasses.replace(config, items="all", limit=1))
            if not work:
                raise InputError(f"no items to judge (--items {which})")
            item, prompt = work[0]
            from tui_annotate.core.judge import endpoint

            # The form this server accepted before, as the run would send it.
            form = endpoint.first_form(config, endpoint.remembered(repo, config))
            emit_json(
                {
                    "item": item.external_id,
                    "prompt_hash": prompt.prompt_hash,
                    "model": model,
                    "messages": list(prompt.messages),
                    "response_format": endpoint.request_format(form, rubric, prompt),
                }
            )
            return
        if follow:
            if batch or resume_id or limit is not None:
                raise InputError("--follow judges each item as it arrives: no --batch or --limit")
            from tui_annotate.cli.live_status import follow_judge

            follow_judge(repo, rubric, config)
            return
        if batch or resume_id:
            from tui_annotate.core.judge import batch as judge_batch

            summary = judge_batch.run_batch(
                repo,
                rubric,
                config,
                resume_id=resume_id,
                poll_seconds=poll_seconds,
                say=lambda m: say(m, err=True),
            )
            if as_json:
                emit_json(summary.to_json())
            else:
                say(
                    f"batch {summary.batch}: {summary.status}; {summary.judged} "
                    f"judged, {summary.invalid} invalid answers, {summary.failed} "
                    "failed"
                )
            if (
                summary.invalid
                or summary.failed
                or summary.status not in ("completed", "nothing to judge")
            ):
                sys.exit(1)
            return
        stats = _run_with_progress(repo, rubric, config, quiet=as_json)
    summary = stats.to_json()
    if as_json:
        emit_json(summary)
    else:
        say(
            f"{judge_name(model)} on {rubric.name}: {summary['judged']} judged, {summary['cached']} "
            f"from cache, {summary['skipped']} already done, {summary['invalid']} invalid "
            f"answers, {summary['failed']} failed; {summary['prompt_tokens']:,} + "
            f"{summary['completion_tokens']:,} tokens in {summary['seconds']:.1f} s"
            + (
                f"; {stats.confidence_unknown} judged without a confidence (no usable logprobs;"
                " route can't weigh them)"
                if stats.confidence_unknown
                else ""
            )
        )
    if stats.failed or stats.invalid:
        sys.exit(1)


def _say(message: str) -> None:
    say(f"judge: {message}", err=True)


def _run_with_progress(repo: Any, rubric: Any, config: Any, *, quiet: bool) -> Any:
    """The run under a progress bar with rate, errors and tokens; Ctrl-C stops it cleanly."""
    import asyncio  # here, not at the top: every command would pay for it at start-up

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tui_annotate.core.judge import run as judging

    stats = judging.RunStats()
    columns = (
        TextColumn("judging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn(
            "{task.fields[rate]} · {task.fields[errors]} errors · {task.fields[tokens]} tokens"
        ),
    )
    with Progress(
        *columns, disable=quiet or not sys.stderr.isatty(), console=None, transient=False
    ) as bar:
        task = bar.add_task("judge", total=None, rate="—/s", errors=0, tokens=0)

        def update(s: judging.RunStats) -> None:
            elapsed = max(1e-9, time.monotonic() - s.started)
            bar.update(
                task,
                total=s.total,
                completed=s.done,
                rate=f"{s.judged / elapsed:.1f}/s",
                errors=s.failed + s.invalid,
                tokens=f"{s.prompt_tokens + s.completion_tokens:,}",
            )

        try:
            asyncio.run(judging.run(repo, rubric, config, progress=update, stats=stats, say=_say))
        except KeyboardInterrupt:
            say(
                f"\nstopped: {stats.judged + stats.cached} judged so far are saved; "
                "run the same command again to continue",
                err=True,
            )
            sys.exit(130)
    return stats


@click.command()
@click.option("--rubric", "rubric_name", required=True, help="The rubric.")
@click.option("--model", default=None, help="The judge [default: the only judge on the rubric].")
@click.option(
    "--confidence-below",
    type=click.FloatRange(0, 1),
    default=0.7,
    show_default=True,
    help="Route the judge's labels less confident than this.",
)
@click.option(
    "--sample",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Route this share of the rest too, to keep measuring the judge.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the sample.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("route")
def route(
    obj: Context,
    rubric_name: str,
    model: str | None,
    confidence_below: float,
    sample: float,
    seed: int,
    as_json: bool,
) -> None:
    """Send the judge's hard cases to people: low confidence, disagreement with a human,
    and a random share of the rest. The annotation app serves routed items first."""
    from tui_annotate.core import routing

    rubric = obj.rubric(rubric_name)
    with obj.repo() as repo:
        summary = routing.route(
            repo, rubric, model=model, confidence_below=confidence_below, sample=sample, seed=seed
        )
    if as_json:
        emit_json(summary.to_json())
        return
    reasons = summary.routed_by_reason
    say(
        f"routed {summary.routed} of {plural(summary.judged, 'judged item')} to people "
        f"({reasons.get('low_confidence', 0)} low confidence, {reasons.get('disagreement', 0)} "
        f"disagreeing with a human, {reasons.get('sample', 0)} sampled); "
        f"{summary.already_routed} were routed before"
    )
    if summary.confidence_unknown:
        say(
            f"{summary.confidence_unknown} judged items have no confidence (the server gave no"
            " usable logprobs), so --confidence-below could not weigh them; judge again with"
            " --samples K to measure one"
        )
