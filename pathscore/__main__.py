from pathscore.cli import main

main()
