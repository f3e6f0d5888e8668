"""``python -m diagramgen`` and the ``diagramgen`` console script."""


def main() -> None:
    """Run the command line. The collector is set before the command's modules are
    imported (quickexit.fewer_collections), so that their import gains from it too."""
    from diagramgen.quickexit import fewer_collections

    fewer_collections()
    from diagramgen.cli import entry

    entry()


if __name__ == "__main__":
    main()
