"""The click command: options, help, version and usage errors. The work is cli.run's; a plain
command line (paths and flags) skips this module and click altogether (cli.entry)."""
from __future__ import annotations

import sys

import click

from . import __version__, cli, config


class _Command(click.Command):
    """`polyfix server …` starts the language server (imported only then); anything else is the
    command line below. A folder named `server` is checked with `polyfix ./server`."""

    def main(self, args=None, *rest, **kwargs):
        args = list(sys.argv[1:] if args is None else args)
        if args[:1] == ["server"]:
            try:
                from . import server
            except ImportError as e:
                click.echo(f"error: `polyfix server` needs the server extra ({e}): install polyfix with it, "
                           f"`pip install '.[server]'` from a checkout",
                           err=True)
                sys.exit(2)
            sys.exit(server.main(args[1:]))
        try:
            return super().main(args, *rest, **kwargs)
        except OSError as e:  # --help or --version to a full stdout (click has said a closed pipe)
            cli._discard(sys.stdout)
            cli._echo(f"error: the output could not be printed ({e})", err=True)
            sys.exit(2)
        except SystemExit as e:  # click prints nothing to a closed stdout (`>&-`), and says nothing of it
            if e.code in (0, None) and sys.stdout is None and {"-h", "--help", "--version"} & set(args):
                cli._echo("error: the output could not be printed (stdout is closed)", err=True)
                sys.exit(2)
            raise


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--dry-run", "--diff", "dry_run", is_flag=True, help="Print the diff --write would apply; write nothing.")
@click.option("--write", "--fix", "write", is_flag=True, help="Apply the fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply fixes marked unsafe.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --write changed anything (for hooks).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (codes, prefixes or names).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Leave out these rules.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Add these rules to the selection.")
@click.option("--values", "values_file", type=click.Path(), metavar="FILE",
              help="YAML mapping of value names to values: PF001's defaults (else config/values.yml at the project root).")
@click.option("--config", "config_file", type=click.Path(), metavar="PATH",
              help="Use this configuration file (pyproject.toml, polyfix.toml) instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--force-exclude", is_flag=True, help="Apply exclude patterns, and git's ignore files, to files named on the command line too.")
@click.option("--output-format", "--format", "output_format", type=click.Choice(config.OUTPUT_FORMATS),
              envvar="POLYFIX_OUTPUT_FORMAT", help="How to print problems (default: text).")
@click.option("--statistics", is_flag=True, help="Print the number of problems per rule instead of each problem.")
@click.option("--show-fixes", is_flag=True, help="List the fixes --write applied, per file.")
@click.option("--stdin-filename", metavar="PATH", help="With PATH `-`: read the file from stdin, as if it were PATH.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--explain", metavar="RULE", help="Print a rule's documentation and exit.")
@click.version_option(__version__, prog_name="polyfix")
def main(**arguments):
    """Find and fix what breaks Polytope projects in polytope.yml files and the scripts they run.

    PATHS are files or folders (default: the current folder); folders are searched for
    polytope.yml / polytope.yaml, and files reached through `include:` are checked too.

    `polyfix server` starts the editor's language server instead (stdio; the server extra).
    """
    try:
        cli.run(**arguments)
    except cli.UsageError as e:
        if e.param_hint:
            raise click.BadParameter(str(e), param_hint=e.param_hint) from None
        raise click.UsageError(str(e)) from None
