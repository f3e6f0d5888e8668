"""``python -m diagramgen`` and the ``diagramgen`` console script."""


def main() -> None:
    """Run the command line, prepared (quickexit.prepare) before the command's modules
    are imported."""
    from diagramgen.quickexit import prepare

    prepare()
    from diagramgen.cli import entry

    entry()


if __name__ == "__main__":
    main()
