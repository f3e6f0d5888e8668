from diagramgen.cli import entry

entry()
