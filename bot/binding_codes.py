"""`portfolio-bot codes` (stub, replaced by the binding work)."""
import click


@click.command()
def codes_command() -> None:
    """Issue one-time binding codes."""
    raise click.ClickException("not yet implemented")
