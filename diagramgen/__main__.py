"""``python -m diagramgen`` and the ``diagramgen`` console script."""


def main() -> None:
    """Run the command line. The collector is set, and the kept methods of dataclasses
    installed, before the command's modules are imported (quickexit.fewer_collections,
    methodcache.install), so that their import gains from them too."""
    from diagramgen.methodcache import install
    from diagramgen.quickexit import fewer_collections

    fewer_collections()
    install()
    from diagramgen.cli import entry

    entry()


if __name__ == "__main__":
    main()
