"""`portfolio-bot demo` (stub, replaced by the demo work)."""
import click


@click.command()
def demo_command() -> None:
    """Run the demo school with the local LINE simulator."""
    raise click.ClickException("not yet implemented")
