from wslab.cli import main

main()
