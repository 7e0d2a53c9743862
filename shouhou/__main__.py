from shouhou.cli import main

main()
