"""`suggest`: a prompt revision from the evidence, stored as a draft, never applied blind."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import emit_json, say
from tui_annotate.core import prompt_registry as registry


@click.command()
@click.option("--prompt", required=True, help="The prompt to revise (its text in the registry).")
@click.option("--version", "version", required=True, metavar="X.Y.Z", help="The version to revise.")
@click.option("--rubric", "rubric_name", required=True, help="The rubric whose failures to fix.")
@click.option("--model", required=True, help="Model name, as the endpoint knows it.")
@click.option(
    "--base-url",
    default=None,
    envvar="OPENAI_BASE_URL",
    help="An OpenAI-compatible endpoint [env OPENAI_BASE_URL].",
)
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds.")
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True)
@click.option(
    "--prompts",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=registry.DEFAULT_DIR,
    show_default=True,
    help="The registry's directory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("suggest")
def suggest(
    obj: Context,
    prompt: str,
    version: str,
    rubric_name: str,
    model: str,
    base_url: str | None,
    timeout: float,
    retries: int,
    directory: Path,
    as_json: bool,
) -> None:
    """Ask a model for a revision of prompt VERSION from its failures on RUBRIC.

    Needs 20+ items of the version with a human label (5+ FAIL) and the
    version's text in the registry (exit 1 otherwise). Sends the prompt, the
    rubric, the failure-tag Pareto, comments and failing examples (not those
    the judge and people dispute); prints the rationale and a diff, and stores
    the revision as a draft version (prompt show NAME --drafts), never as the
    current one. The key comes from OPENAI_API_KEY and is never stored.
    """
    import openai

    from tui_annotate.core import suggest as suggesting
    from tui_annotate.core.judge.endpoint import short_error

    rubric = obj.rubric(rubric_name)
    obj.require_db(" (import items first)")
    with obj.repo() as repo:
        try:
            result = suggesting.suggest(
                repo,
                rubric,
                prompt=prompt,
                version=version,
                model=model,
                base_url=base_url,
                timeout=timeout,
                retries=retries,
                directory=directory,
            )
        except openai.OpenAIError as exc:
            say(f"error: the model could not be asked: {short_error(exc)}", err=True)
            sys.exit(1)
    if as_json:
        emit_json(result.to_json())
        return
    e = result.evidence
    say(
        f"evidence: {e.fails} FAIL of {e.labelled} labelled items of {prompt} {version}; "
        f"{e.left_out_disputed} disputed by the judge left out of the examples"
    )
    say(f"rationale: {result.rationale or '(none given)'}")
    if result.addresses_tags:
        say(f"addresses: {', '.join(result.addresses_tags)}")
    say(result.diff.rstrip("\n"))
    say(f"stored as draft {prompt} {result.draft} in {result.path} (not the current version)")
    say("test it before it ships:")
    say(f"  tui-annotate prompt show {prompt} {result.draft} > draft.txt")
    say(
        "  # generate outputs with draft.txt on the golden cases, as JSONL with "
        f'"prompt": "{prompt}", "prompt_version": "{result.draft}" and each "case"'
    )
    say("  tui-annotate import draft-outputs.jsonl")
    say(f"  tui-annotate judge --rubric {rubric.name} --model {model}")
    say(f"  tui-annotate gate --prompt {prompt} --candidate {result.draft} --baseline golden")
