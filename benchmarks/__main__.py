"""``python -m benchmarks`` runs the suite (the same as ``pathscore bench``)."""

from benchmarks.run import main

main()
