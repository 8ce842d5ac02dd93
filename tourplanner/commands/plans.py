"""Plans from the command line: plan a season, export its plan, run the optimization workers."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import planning
from ..extensions import db
from ..mail import send_mail
from ..models import Plan
from .season import find_season


def kpi_summary(plan: Plan) -> str:
    k = plan.kpis or {}
    hours = (k.get("drive_minutes") or 0) / 60
    return (f"version {plan.number}: served {k.get('served', '?')} of {k.get('requests', '?')} requests, "
            f"audience {k.get('audience', 0):,}, {k.get('drive_km', 0):,.0f} km and {hours:,.0f} h of driving"
            + ceiling_words(plan))


def ceiling_words(plan: Plan) -> str:
    """'; any plan that keeps the rules serves at most N (this plan: P % of it)' when the job computed it."""
    ceiling = (plan.solver or {}).get("ceiling")
    if not ceiling:
        return ""
    served = (plan.kpis or {}).get("served")
    share = ""
    if served is not None and ceiling["served"]:
        share = f" (this plan: {100 * served // ceiling['served']} % of it)"
    return (f"; any plan that keeps the rules serves at most {ceiling['served']:,} requests "
            f"and {ceiling['audience']:,} people{share}")


@click.command("plan")
@click.option("--season", "season_name", required=True, help="The season's name.")
@click.option("--time-limit", "time_limit", type=int, default=60, show_default=True, help="Seconds of search.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--steps", type=int, default=None, help="Stop after this many search steps (reproducible runs).")
@click.option("--from-version", "from_version", type=int, default=None, help="Re-plan starting from this version.")
@with_appcontext
def plan_command(season_name: str, time_limit: int, seed: int, steps: int | None, from_version: int | None):
    """Plan a season here and now: rows -> instance -> solve -> check -> a saved draft plan."""
    from .. import jobs

    season = find_season(season_name)
    previous_id = None
    if from_version is not None:
        previous = db.session.scalar(select(Plan).where(Plan.season_id == season.id, Plan.number == from_version))
        if previous is None:
            raise click.ClickException(f"season {season.name} has no plan version {from_version}")
        previous_id = previous.id
    try:
        params = jobs.job_params(time_limit_s=time_limit, seed=seed, steps=steps, previous_plan_id=previous_id)
        job = jobs.submit_job(season, params, enqueue=False)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if job.status == "queued":
        job = jobs.run_job(job.id, echo=lambda line: click.echo(f"  {line}"))
    if job.status != "succeeded":
        raise click.ClickException(f"job {job.id} {job.status}: {job.error}")
    note = (job.progress or {}).get("note")
    if note:
        click.echo(note)
    click.echo(kpi_summary(job.plan))
    replan = planning.replan_words(job.plan)
    if replan:
        click.echo(replan)
    unserved = len(job.plan.unserved)
    if unserved:
        click.echo(f"{unserved} request(s) not served; see the plan review page for reasons and suggestions")
    click.echo(f"saved plan version {job.plan.number} of season {season.name} as a draft; publish it with: "
               f"flask --app tourplanner publish --season {season.name} --number {job.plan.number}")


@click.command("publish")
@click.option("--season", "season_name", required=True, help="The season's name.")
@click.option("--number", type=int, default=None, help="The plan version to publish (default: the latest one).")
@click.option("--no-email", "no_email", is_flag=True, help="Tell no venue (tests, a dry season); feeds still change.")
@with_appcontext
def publish_command(season_name: str, number: int | None, no_email: bool):
    """Publish a plan version, as the Publish button does: the same checks, the same emails to venues."""
    season = find_season(season_name)
    query = select(Plan).where(Plan.season_id == season.id)
    if number is None:
        plan = db.session.scalar(query.order_by(Plan.number.desc()).limit(1))
    else:
        plan = db.session.scalar(query.where(Plan.number == number))
    if plan is None:
        which = f"no plan version {number}" if number is not None else "no plan yet"
        raise click.ClickException(f"season {season.name} has {which}; run `flask plan --season {season.name}`")
    try:
        result = planning.publish(plan)
    except planning.PublishError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if not no_email:
        planning.send_now(result, send_mail)  # here and now: a command has no web request to keep fast
    if result.previous is not None and result.previous.id == plan.id:
        click.echo(f"version {plan.number} of season {season.name} is the published version already; nothing sent")
        return
    emailed = "not emailed (--no-email)" if no_email else f"{len(result.emailed)} venue(s) emailed"
    click.echo(f"published version {plan.number} of season {season.name}: {len(result.new)} new, "
               f"{len(result.changed)} changed, {len(result.cancelled)} withdrawn; {emailed}")
    for ref, error in result.email_failures:
        click.echo(f"email to the venue of request {ref} failed: {error}", err=True)
    if result.email_failures:
        raise click.ClickException(f"{len(result.email_failures)} email(s) failed; the plan is published all the same")


@click.command("export-plan")
@click.option("--season", "season_name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--published", is_flag=True, help="The published version instead of the latest one.")
@click.option("--version", "number", type=int, default=None, help="This version number.")
@with_appcontext
def export_plan_command(season_name: str, output: Path, published: bool, number: int | None):
    """Write a season's plan JSON (formats.md section 3): the latest version unless told otherwise."""
    season = find_season(season_name)
    if published:
        plan = season.published_plan()
    elif number is not None:
        plan = db.session.scalar(select(Plan).where(Plan.season_id == season.id, Plan.number == number))
    else:
        plan = db.session.scalar(select(Plan).where(Plan.season_id == season.id).order_by(Plan.number.desc()).limit(1))
    if plan is None:
        raise click.ClickException(f"season {season.name} has no such plan yet; run `flask plan --season {season.name}`")
    data = json.loads(plan.plan_json)
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {output}: {kpi_summary(plan)}")


@click.command("worker")
@click.option("-w", "--workers", type=int, default=1, show_default=True, help="Jobs this machine runs at once.")
@click.option("-k", "--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
              help="process: one process per worker (uses every core for parallel solves).")
@with_appcontext
def worker_command(workers: int, worker_type: str):
    """Run optimization workers: on Redis (REDIS_URL) on any number of machines, else on the local queue."""
    import logging

    from .. import jobs

    app = current_app._get_current_object()
    reaped = jobs.reap_stale_jobs()
    if reaped:
        click.echo(f"marked {reaped} job(s) of vanished workers failed")
    huey = jobs.get_huey(app)
    where = f"Redis queue {huey.name!r}" if app.config.get("REDIS_URL") else f"local queue {huey.storage.filename}"
    click.echo(f"tourplanner worker: {workers} {worker_type} worker(s) on the {where}")
    db.session.remove()
    db.engine.dispose()  # forked workers must not share connections
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # periodic: every minute, jobs of workers that vanished (killed, machine gone) are marked failed
    huey.create_consumer(workers=workers, worker_type=worker_type, periodic=True, check_worker_health=True).run()
