"""``mmjax data ...`` sub-commands (filled in by the foundation issue)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="inspect and prepare the Shapes data sets")
    parser.set_defaults(func=lambda args: parser.print_help())
