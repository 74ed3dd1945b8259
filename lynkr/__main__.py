from lynkr.cli import main

main()
