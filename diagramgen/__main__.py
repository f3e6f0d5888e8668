from diagramgen.cli import main

main()
