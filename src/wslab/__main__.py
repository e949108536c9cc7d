from wslab.cli.main import main

main()
