"""`python -m toezicht`: the same as the `toezicht` command."""

from toezicht.cli import main

if __name__ == "__main__":
    main()
