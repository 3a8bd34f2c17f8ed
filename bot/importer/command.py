"""`portfolio-bot import` (stub, replaced by the importer work)."""
import click


@click.command()
@click.argument("files", nargs=-1, required=True)
def import_command(files: tuple[str, ...]) -> None:
    """Import CSV/XLSX files in the school's templates."""
    raise click.ClickException("not yet implemented")
